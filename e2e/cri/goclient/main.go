// streamclient drives the streaming server with client-go's own exec and
// port-forward clients (the code kubelet and crictl use), so the e2e tests
// check tsvisor against the real protocol implementations.
//
//	streamclient exec -transport spdy|websocket -url URL [-stdin] [-stdout=false] [-stderr=false] [-tty] [-resize 80x24,100x30]
//	streamclient portforward -transport spdy|websocket -url URL -port N
//
// exec exits with the remote command's exit code; client errors exit 125.
// portforward prints "LISTEN <local port>" once ready and stops when its
// stdin reaches EOF.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/client-go/util/exec"
)

const clientErrorExit = 125

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: streamclient exec|portforward [flags]"))
	}
	var err error
	switch os.Args[1] {
	case "exec":
		err = runExec(os.Args[2:])
	case "portforward":
		err = runPortForward(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	var exitErr exec.CodeExitError
	if errors.As(err, &exitErr) {
		os.Exit(exitErr.Code)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "streamclient: %v\n", err)
	os.Exit(clientErrorExit)
}

// sizeQueue hands the listed terminal sizes to the executor, then ends.
type sizeQueue struct{ sizes []remotecommand.TerminalSize }

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if len(q.sizes) == 0 {
		return nil
	}
	s := q.sizes[0]
	q.sizes = q.sizes[1:]
	return &s
}

func parseSizes(spec string) ([]remotecommand.TerminalSize, error) {
	var sizes []remotecommand.TerminalSize
	if spec == "" {
		return sizes, nil
	}
	for _, item := range strings.Split(spec, ",") {
		w, h, ok := strings.Cut(item, "x")
		width, errW := strconv.ParseUint(w, 10, 16)
		height, errH := strconv.ParseUint(h, 10, 16)
		if !ok || errW != nil || errH != nil {
			return nil, fmt.Errorf("bad size %q (want WxH)", item)
		}
		sizes = append(sizes, remotecommand.TerminalSize{Width: uint16(width), Height: uint16(height)})
	}
	return sizes, nil
}

func runExec(args []string) error {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	transport := fs.String("transport", "spdy", "spdy or websocket")
	rawURL := fs.String("url", "", "streaming URL")
	stdin := fs.Bool("stdin", false, "send standard input")
	stdout := fs.Bool("stdout", true, "receive standard output")
	stderr := fs.Bool("stderr", true, "receive standard error (ignored with -tty)")
	tty := fs.Bool("tty", false, "request a terminal")
	resize := fs.String("resize", "", "terminal sizes to send, WxH,WxH")
	_ = fs.Parse(args)
	u, err := url.Parse(*rawURL)
	if err != nil {
		return err
	}
	sizes, err := parseSizes(*resize)
	if err != nil {
		return err
	}
	config := &rest.Config{}
	var executor remotecommand.Executor
	switch *transport {
	case "spdy":
		executor, err = remotecommand.NewSPDYExecutor(config, http.MethodPost, u)
	case "websocket":
		executor, err = remotecommand.NewWebSocketExecutor(config, http.MethodGet, u.String())
	default:
		err = fmt.Errorf("unknown transport %q", *transport)
	}
	if err != nil {
		return err
	}
	opts := remotecommand.StreamOptions{Tty: *tty}
	if *stdout {
		opts.Stdout = os.Stdout
	}
	if *stderr && !*tty {
		opts.Stderr = os.Stderr
	}
	if *stdin {
		opts.Stdin = os.Stdin
	}
	if len(sizes) > 0 {
		opts.TerminalSizeQueue = &sizeQueue{sizes: sizes}
	}
	return executor.StreamWithContext(context.Background(), opts)
}

func runPortForward(args []string) error {
	fs := flag.NewFlagSet("portforward", flag.ExitOnError)
	transport := fs.String("transport", "spdy", "spdy or websocket")
	rawURL := fs.String("url", "", "streaming URL")
	port := fs.Int("port", 0, "remote port")
	_ = fs.Parse(args)
	u, err := url.Parse(*rawURL)
	if err != nil {
		return err
	}
	config := &rest.Config{}
	var dialer httpstream.Dialer
	switch *transport {
	case "spdy":
		tr, upgrader, err := spdy.RoundTripperFor(config)
		if err != nil {
			return err
		}
		dialer = spdy.NewDialer(upgrader, &http.Client{Transport: tr}, http.MethodPost, u)
	case "websocket":
		dialer, err = portforward.NewSPDYOverWebsocketDialer(u, config)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown transport %q", *transport)
	}
	stop := make(chan struct{})
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", *port)}, stop, ready, io.Discard, os.Stderr)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- pf.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		return err
	}
	ports, err := pf.GetPorts()
	if err != nil {
		return err
	}
	fmt.Printf("LISTEN %d\n", ports[0].Local)
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(stop)
	}()
	return <-done
}
