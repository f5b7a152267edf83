package stripemock

import "syscall"

// sysProcAttr asks the kernel to kill stripe-mock when the test binary dies
// without running its cleanups (a test timeout, a crash), so that no orphan
// keeps running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
