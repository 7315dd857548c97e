// Command pause holds a pod sandbox's namespaces open for the test node's containerd. No image can be pulled on
// these machines, so the sandbox image is built here instead of taken from registry.k8s.io.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for received := range signals {
		if received != syscall.SIGCHLD {
			return
		}
		// A sandbox that shares its PID namespace is the parent of orphans: reap them so none stays a zombie.
		for {
			var status syscall.WaitStatus
			if pid, _ := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 {
				break
			}
		}
	}
}
