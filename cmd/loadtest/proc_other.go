//go:build !linux

package main

import "syscall"

// childProcAttr: elsewhere the server stops when its stdin closes.
func childProcAttr() *syscall.SysProcAttr { return nil }
