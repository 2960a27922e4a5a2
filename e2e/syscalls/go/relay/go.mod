module relay

go 1.22
