// Package healthcheck implements the `healthcheck URL` subcommand of every
// tagflow binary. Container images are distroless (no shell, no curl), so a
// container health check runs the binary itself:
//
//	worker healthcheck http://127.0.0.1:9091/readyz
//
// It exits 0 when the URL answers 2xx within the timeout, 1 otherwise.
package healthcheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Timeout bounds one health check.
const Timeout = 3 * time.Second

// Main runs the subcommand with args (the URL) and returns the exit code.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: healthcheck URL")
		return 2
	}
	if err := Check(ctx, args[0]); err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	return 0
}

// Check returns nil when url answers a GET with a 2xx status within Timeout.
func Check(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
