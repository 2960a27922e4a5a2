module pidexec

go 1.22
