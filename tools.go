//go:build tools

package tools

import (
	_ "github.com/cenkalti/backoff/v4"
	_ "github.com/gorilla/mux"
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "github.com/neurosnap/sentences"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "golang.org/x/net/html"
)
