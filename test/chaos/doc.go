// Package chaos is tagflow's fault suite. Its tests run the real components
// (an in-process JetStream server, the tagtog emulator, the webhook handler,
// the worker binary or the queue consumer with the annotation pipeline) and
// inject one class of failure each: a worker killed with SIGKILL in the middle
// of a batch, NATS stopped and restarted while webhooks arrive, tagtog
// answering 503, 429 and dropped connections, poison documents, a push slower
// than AckWait, and two metric registries in one process.
//
// Every scenario asserts exact counts and prints one line
//
//	FIGURES scenario=<name> sent=… acked=… annotated=… dead_lettered=… lost=… duplicated=… [extra=…]
//
// from which RELIABILITY.md's table is made. The small variants of the
// poison, slow-push and registry scenarios run with `go test ./...`; the
// heavy ones run only when TAGFLOW_CHAOS=1 (`make chaos`), which also builds
// the worker binary in TestMain.
package chaos
