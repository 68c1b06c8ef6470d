package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/pkg/queue"
)

var statusCommand = command{
	path:  "status",
	short: "show the event stream, its consumers' lag and the dead-letter count",
	long: `Shows the event stream (messages, bytes, first and last sequence), each durable
consumer (pending: not yet delivered; ack pending: delivered and not yet
acknowledged, delayed retries included; redelivered; waiting pull requests;
lag = pending + ack pending) and the number of dead letters.
The annotator and exporter consumers are listed even when they do not exist yet.`,
	setup: func(a *app, fs *flag.FlagSet) runFunc {
		nf := defineNATS(fs)
		asJSON := config.Bool(fs, "json", "", false, "print JSON instead of a table")
		return func(ctx context.Context, operands []string) error {
			if len(operands) > 0 {
				return usagef("unexpected arguments: %s", strings.Join(operands, " "))
			}
			c, err := nf.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			rctx, cancel := nf.request(ctx)
			defer cancel()
			st, err := c.Status(rctx)
			if err != nil {
				return explain(err)
			}
			rep := newStatusReport(st)
			if *asJSON {
				return writeJSON(a.stdout, rep)
			}
			return rep.writeTable(a.stdout)
		}
	},
}

// streamReport is a stream in status output.
type streamReport struct {
	Name     string `json:"name"`
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
}

// consumerReport is a durable consumer in status output.
type consumerReport struct {
	Name        string `json:"name"`
	Exists      bool   `json:"exists"`
	Pending     uint64 `json:"pending"`
	AckPending  int    `json:"ack_pending"`
	Redelivered int    `json:"redelivered"`
	Waiting     int    `json:"waiting"`
	Lag         uint64 `json:"lag"`
}

// statusReport is the output of the status command.
type statusReport struct {
	Stream    streamReport     `json:"stream"`
	Consumers []consumerReport `json:"consumers"`
	DLQ       streamReport     `json:"dlq"`
}

func toStreamReport(s queue.StreamStatus) streamReport {
	return streamReport{Name: s.Name, Messages: s.Msgs, Bytes: s.Bytes, FirstSeq: s.FirstSeq, LastSeq: s.LastSeq}
}

func newStatusReport(st queue.Status) statusReport {
	r := statusReport{Stream: toStreamReport(st.Stream), DLQ: toStreamReport(st.DLQ), Consumers: []consumerReport{}}
	for _, c := range st.Consumers {
		r.Consumers = append(r.Consumers, consumerReport{Name: c.Name, Exists: true, Pending: c.Pending,
			AckPending: c.AckPending, Redelivered: c.Redelivered, Waiting: c.Waiting,
			Lag: c.Pending + uint64(max(c.AckPending, 0))})
	}
	for _, k := range []queue.Kind{queue.Annotator, queue.Exporter} {
		if !slices.ContainsFunc(r.Consumers, func(c consumerReport) bool { return c.Name == string(k) }) {
			r.Consumers = append(r.Consumers, consumerReport{Name: string(k)})
		}
	}
	slices.SortStableFunc(r.Consumers, func(a, b consumerReport) int { return strings.Compare(a.Name, b.Name) })
	return r
}

func (r statusReport) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tMESSAGES\tBYTES\tFIRST SEQ\tLAST SEQ")
	s := r.Stream
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", s.Name, s.Messages, s.Bytes, s.FirstSeq, s.LastSeq)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CONSUMER\tPENDING\tACK PENDING\tREDELIVERED\tWAITING\tLAG")
	for _, c := range r.Consumers {
		if !c.Exists {
			fmt.Fprintf(tw, "%s\tnot created\n", clean(c.Name))
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", clean(c.Name), c.Pending, c.AckPending, c.Redelivered, c.Waiting, c.Lag)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nDEAD LETTERS (%s): %d\n", r.DLQ.Name, r.DLQ.Messages)
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
