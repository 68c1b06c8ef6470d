// Package natstest runs a real, in-process NATS server with JetStream for
// tests: random port, a store under tb.TempDir(), shut down by tb.Cleanup. A
// server can be shut down and restarted on the same port and store, so tests
// can exercise a NATS outage and recovery.
package natstest

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Option changes the server configuration.
type Option func(*options)

type options struct {
	maxPayload int32
	storeDir   string
}

// MaxPayload sets the server's max_payload (bytes per message, headers included).
func MaxPayload(n int32) Option { return func(o *options) { o.maxPayload = n } }

// StoreDir keeps the JetStream store in dir instead of a fresh tb.TempDir().
func StoreDir(dir string) Option { return func(o *options) { o.storeDir = dir } }

// Server is a running (or stopped) in-process JetStream server.
type Server struct {
	tb   testing.TB
	opts server.Options

	mu  sync.Mutex
	srv *server.Server
}

// Start starts a JetStream server on 127.0.0.1 with a random port and a store
// in tb.TempDir(). It fails the test if the server does not become ready and
// shuts it down when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.storeDir == "" {
		o.storeDir = tb.TempDir()
	}
	s := &Server{tb: tb, opts: server.Options{
		ServerName: "natstest",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   o.storeDir,
		NoLog:      true,
		NoSigs:     true,
		MaxPayload: o.maxPayload,
		// Keep the in-process server small; tests never need more.
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  64 << 30, // an accounting limit; streams reserve their MaxBytes
	}}
	s.start()
	// After the first start, pin the chosen port so restarts keep the URL.
	s.opts.Port = s.port()
	tb.Cleanup(s.Shutdown)
	return s
}

func (s *Server) start() {
	s.tb.Helper()
	opts := s.opts // server.NewServer keeps a pointer; give each run its own copy
	srv, err := server.NewServer(&opts)
	if err != nil {
		s.tb.Fatalf("natstest: new server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		s.tb.Fatalf("natstest: server not ready within 10s")
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

func (s *Server) port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr, ok := s.srv.Addr().(*net.TCPAddr)
	if !ok {
		s.tb.Fatalf("natstest: unexpected listener address %v", s.srv.Addr())
	}
	return addr.Port
}

// ClientURL returns the URL clients connect to, e.g. "nats://127.0.0.1:41234".
// It stays the same across Restart.
func (s *Server) ClientURL() string {
	return "nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

// Shutdown stops the server and waits until it is down. It is safe to call
// more than once.
func (s *Server) Shutdown() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Shutdown()
	srv.WaitForShutdown()
}

// Restart shuts the server down (if running) and starts it again on the same
// port with the same store, so streams and messages survive.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Shutdown()
	s.Start()
}

// Start starts a server that was shut down, on the same port and store.
// It does nothing if the server is running.
func (s *Server) Start() {
	s.tb.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if !running {
		s.start()
	}
}

// Running reports whether the server is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// Connect returns a client connection to the server that is closed when the
// test ends. It reconnects forever, so it survives Restart.
func (s *Server) Connect(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(s.ClientURL(),
		nats.Name(fmt.Sprintf("natstest-%s", tb.Name())),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
	)
	if err != nil {
		tb.Fatalf("natstest: connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}
