package httpapi_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tcpProxy forwards connections from a loopback port to upstream. Cut closes
// the port and every connection through it, like a database going away;
// Restore listens on the same port again. SetLatency delays every answer
// from upstream, like a slow network or an overloaded database.
type tcpProxy struct {
	t        *testing.T
	upstream string
	addr     string
	latency  atomic.Int64 // nanoseconds added to each round trip

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startProxy starts a proxy to upstream; it stops with the test.
func startProxy(t *testing.T, upstream string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: listen: %v", err)
	}
	p := &tcpProxy{t: t, upstream: upstream, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

// Addr is the proxy's host:port.
func (p *tcpProxy) Addr() string { return p.addr }

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.forward(c) })
		}
	})
}

// track registers c; it reports false (and closes c) when the proxy is cut.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) forward(client net.Conn) {
	if !p.track(client) {
		return
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(up) {
		client.Close()
		up.Close()
		return
	}
	var wg sync.WaitGroup
	pipe := func(dst net.Conn, src io.ReadCloser) {
		_, _ = io.Copy(dst, src)
		// Either side ending ends the pair.
		client.Close()
		up.Close()
		src.Close()
	}
	wg.Go(func() { pipe(up, client) })
	wg.Go(func() { pipe(client, p.delayed(up)) })
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, up)
	p.mu.Unlock()
}

// SetLatency makes every round trip through the proxy, on new and open
// connections alike, take d longer; 0 removes the delay.
func (p *tcpProxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// delayed returns a reader of src whose data is held until the proxy's
// latency has passed since it arrived. Data is not held any longer behind
// earlier data, so a long answer costs the latency once, not per chunk.
func (p *tcpProxy) delayed(src net.Conn) io.ReadCloser {
	type chunk struct {
		data []byte
		due  time.Time
	}
	chunks := make(chan chunk, 64)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{buf[:n], time.Now().Add(time.Duration(p.latency.Load()))}
			}
			if err != nil {
				return
			}
		}
	}()
	pr, pw := io.Pipe()
	go func() {
		for c := range chunks {
			time.Sleep(time.Until(c.due))
			if _, err := pw.Write(c.data); err != nil {
				break
			}
		}
		pw.Close()
		for range chunks { // let the reader end
		}
	}()
	return pr
}

// Cut closes the listener and every connection, and waits for the proxy's
// goroutines to end. Cutting a cut proxy does nothing.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Restore listens on the proxy's port again.
func (p *tcpProxy) Restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}
