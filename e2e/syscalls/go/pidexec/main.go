// Go's os/exec on Linux starts children with CLONE_PIDFD and waits and
// signals through the pidfd (waitid P_PIDFD, pidfd_send_signal) once a
// pidfd_open probe works; this program's output must be the same natively
// and in the sandbox, whichever way Go goes.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	fmt.Println("exit:", exec.Command("/bin/sh", "-c", "exit 3").Run())
	cmd := exec.Command("/bin/sleep", "10")
	if err := cmd.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	time.Sleep(50 * time.Millisecond)
	fmt.Println("signal:", cmd.Process.Signal(syscall.SIGTERM))
	fmt.Println("wait:", cmd.Wait())
	fmt.Println("signal after wait:", cmd.Process.Signal(syscall.SIGTERM))
	self, _ := os.FindProcess(os.Getpid())
	fmt.Println("signal 0 to self:", self.Signal(syscall.Signal(0)))
}
