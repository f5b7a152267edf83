package main

import "syscall"

// childProcAttr kills the server when the load test dies, whatever way.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
