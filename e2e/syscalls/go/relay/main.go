// A TCP relay as Go proxies make them: io.Copy between two TCP
// connections (which Go does with splice(2) through a pipe), checked end
// to end with 8 MiB there and back.
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
)

func must(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func main() {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go func() {
		c, err := backend.Accept()
		must(err)
		io.Copy(c, c) // echo
		c.Close()
	}()
	relay, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go func() {
		in, err := relay.Accept()
		must(err)
		out, err := net.Dial("tcp", backend.Addr().String())
		must(err)
		done := make(chan error, 2)
		go func() { _, err := io.Copy(out, in); out.(*net.TCPConn).CloseWrite(); done <- err }()
		go func() { _, err := io.Copy(in, out); in.(*net.TCPConn).CloseWrite(); done <- err }()
		must(<-done)
		must(<-done)
	}()
	c, err := net.Dial("tcp", relay.Addr().String())
	must(err)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<19)
	go func() { c.Write(data); c.(*net.TCPConn).CloseWrite() }()
	got, err := io.ReadAll(c)
	must(err)
	fmt.Printf("relayed %d bytes, same: %v, sha256 %x\n", len(got), bytes.Equal(got, data), sha256.Sum256(got))
}
