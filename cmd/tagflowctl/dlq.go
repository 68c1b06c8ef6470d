package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/pkg/queue"
)

// docColumnWidth bounds the DOCUMENT column of dlq list, in characters.
const docColumnWidth = 48

var dlqListCommand = command{
	path:  "dlq list",
	short: "list dead letters, oldest first",
	long: `Lists every dead letter, oldest first: its sequence in the dead-letter stream,
when it was dead-lettered, the consumer that gave up, the reason, the HTTP
status behind it ("-" for none), the number of deliveries and the document
(owner/project/document id, truncated). Use 'dlq show SEQ' for the whole letter.`,
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
			msgs, err := c.ListDLQ(rctx)
			if err != nil {
				return explain(err)
			}
			if *asJSON {
				out := make([]letterReport, 0, len(msgs))
				for _, m := range msgs {
					out = append(out, newLetterReport(m, false))
				}
				return writeJSON(a.stdout, out)
			}
			if len(msgs) == 0 {
				_, err := fmt.Fprintf(a.stdout, "no dead letters in %s\n", c.Config().DLQStream)
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tCONSUMER\tREASON\tSTATUS\tDELIVERIES\tDOCUMENT")
			for _, m := range msgs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", m.Seq, m.Time.UTC().Format(time.RFC3339),
					orDash(clean(m.Consumer)), orDash(clean(m.Reason)), statusText(m.Status), m.Deliveries,
					truncate(document(m), docColumnWidth))
			}
			return tw.Flush()
		}
	},
}

var dlqShowCommand = command{
	path:     "dlq show",
	operands: "SEQ",
	short:    "show one dead letter: its headers and the event envelope",
	long: `Shows the dead letter with sequence SEQ: the dead-letter headers (time, consumer,
reason, HTTP status, deliveries, original subject, last error) and the original
event envelope, pretty-printed. Exits 1 when there is no such dead letter.`,
	setup: func(a *app, fs *flag.FlagSet) runFunc {
		nf := defineNATS(fs)
		asJSON := config.Bool(fs, "json", "", false, "print JSON instead of text")
		return func(ctx context.Context, operands []string) error {
			if len(operands) != 1 {
				return usagef("want exactly one dead-letter sequence number, got %d arguments", len(operands))
			}
			seq, err := parseSeq(operands[0])
			if err != nil {
				return err
			}
			c, err := nf.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			rctx, cancel := nf.request(ctx)
			defer cancel()
			m, err := c.GetDLQ(rctx, seq)
			if err != nil {
				return notFoundOr(err, seq)
			}
			if *asJSON {
				return writeJSON(a.stdout, newLetterReport(m, true))
			}
			return writeLetter(a.stdout, m)
		}
	},
}

var dlqRedriveCommand = command{
	path:     "dlq redrive",
	operands: "SEQ... | -all [-reason R]",
	short:    "publish dead letters again on their original subject",
	long: `Publishes each named dead letter (or every one with -all, optionally only those
whose reason is R) again on its original subject, with a new message id and a
fresh delivery count, then deletes it from the dead-letter stream. Prints one
line per redriven letter and a total; keeps going after a failure and exits 1
if any letter could not be redriven.`,
	setup: func(a *app, fs *flag.FlagSet) runFunc {
		nf := defineNATS(fs)
		all := config.Bool(fs, "all", "", false, "redrive every dead letter")
		reason := config.String(fs, "reason", "", "", "with -all: redrive only dead letters with this reason (e.g. max_deliver)")
		return func(ctx context.Context, operands []string) error {
			switch {
			case *all && len(operands) > 0:
				return usagef("give sequence numbers or -all, not both")
			case !*all && len(operands) == 0:
				return usagef("nothing to redrive: give sequence numbers or -all")
			case !*all && *reason != "":
				return usagef("-reason needs -all")
			}
			seqs := make([]uint64, 0, len(operands))
			for _, s := range operands {
				seq, err := parseSeq(s)
				if err != nil {
					return err
				}
				seqs = append(seqs, seq)
			}
			c, err := nf.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if *all {
				rctx, cancel := nf.request(ctx)
				msgs, err := c.ListDLQ(rctx)
				cancel()
				if err != nil {
					return explain(err)
				}
				for _, m := range msgs {
					if *reason == "" || m.Reason == *reason {
						seqs = append(seqs, m.Seq)
					}
				}
			}
			return redrive(ctx, a, nf, c, seqs)
		}
	},
}

// redrive redrives seqs one by one, reporting each, and returns errReported
// when any failed.
func redrive(ctx context.Context, a *app, nf *natsFlags, c *queue.Client, seqs []uint64) error {
	done := 0
	for _, seq := range seqs {
		if ctx.Err() != nil {
			fmt.Fprintf(a.stderr, "interrupted: %d dead letters not tried\n", len(seqs)-done)
			break
		}
		rctx, cancel := nf.request(ctx)
		m, err := c.GetDLQ(rctx, seq)
		if err == nil {
			err = c.Redrive(rctx, seq)
		}
		cancel()
		if err != nil {
			fmt.Fprintf(a.stderr, "failed %d: %v\n", seq, notFoundOr(err, seq))
			continue
		}
		done++
		fmt.Fprintf(a.stdout, "redriven %d: %s (consumer %s, reason %s) -> %s\n",
			seq, document(m), orDash(clean(m.Consumer)), orDash(clean(m.Reason)), clean(m.Subject))
	}
	fmt.Fprintf(a.stdout, "redriven %d of %d dead letters\n", done, len(seqs))
	if done < len(seqs) {
		return errReported
	}
	return nil
}

func parseSeq(s string) (uint64, error) {
	seq, err := strconv.ParseUint(s, 10, 64)
	if err != nil || seq == 0 {
		return 0, usagef("%q is not a dead-letter sequence number (a positive integer)", s)
	}
	return seq, nil
}

// notFoundOr names a missing dead letter plainly and explains other errors.
func notFoundOr(err error, seq uint64) error {
	if errors.Is(err, queue.ErrNotFound) {
		return fmt.Errorf("no dead letter with sequence %d", seq)
	}
	return explain(err)
}

// letterReport is a dead letter in JSON output.
type letterReport struct {
	Seq         uint64          `json:"seq"`
	Time        time.Time       `json:"time"`
	Consumer    string          `json:"consumer"`
	Reason      string          `json:"reason"`
	Status      int             `json:"status"`
	Deliveries  int             `json:"deliveries"`
	Subject     string          `json:"subject"`
	Error       string          `json:"error"`
	EventID     string          `json:"event_id,omitempty"`
	Owner       string          `json:"owner,omitempty"`
	Project     string          `json:"project,omitempty"`
	DocID       string          `json:"doc_id,omitempty"`
	Member      string          `json:"member,omitempty"`
	EnvelopeErr string          `json:"envelope_error,omitempty"`
	Envelope    json.RawMessage `json:"envelope,omitempty"`
	Data        string          `json:"data,omitempty"` // a body that is not JSON
}

func newLetterReport(m queue.DLQMessage, body bool) letterReport {
	r := letterReport{Seq: m.Seq, Time: m.Time.UTC(), Consumer: m.Consumer, Reason: m.Reason, Status: m.Status,
		Deliveries: m.Deliveries, Subject: m.Subject, Error: m.Error}
	if m.EnvelopeErr != nil {
		r.EnvelopeErr = m.EnvelopeErr.Error()
	} else {
		e := m.Envelope
		r.EventID, r.Owner, r.Project, r.DocID, r.Member = e.ID, e.Owner, e.Project, e.DocID, e.Member
	}
	if body {
		if json.Valid(m.Data) {
			r.Envelope = json.RawMessage(m.Data)
		} else {
			r.Data = string(m.Data)
		}
	}
	return r
}

// writeLetter prints a dead letter for people: headers, then the envelope.
func writeLetter(w io.Writer, m queue.DLQMessage) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Sequence", strconv.FormatUint(m.Seq, 10))
	row(queue.HeaderTime, m.Time.UTC().Format(time.RFC3339))
	row(queue.HeaderConsumer, orDash(clean(m.Consumer)))
	row(queue.HeaderReason, orDash(clean(m.Reason)))
	row(queue.HeaderStatus, statusText(m.Status))
	row(queue.HeaderDeliveries, strconv.Itoa(m.Deliveries))
	row(queue.HeaderSubject, orDash(clean(m.Subject)))
	row(queue.HeaderError, orDash(clean(m.Error)))
	if m.EnvelopeErr == nil {
		row(queue.HeaderEventID, clean(m.Envelope.ID))
		row("Document", document(m))
	} else {
		row("Envelope error", clean(m.EnvelopeErr.Error()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Envelope:")
	var buf bytes.Buffer
	if err := json.Indent(&buf, m.Data, "", "  "); err == nil {
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}
	_, err := fmt.Fprintf(w, "%q\n", m.Data)
	return err
}

// document names a dead letter's document as owner/project/doc id.
func document(m queue.DLQMessage) string {
	if m.EnvelopeErr != nil {
		return "(invalid envelope)"
	}
	e := m.Envelope
	return clean(e.Owner + "/" + e.Project + "/" + e.DocID)
}

func statusText(code int) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(code)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clean makes s safe for one table cell: control characters (tabs and
// newlines included) become spaces, and invalid UTF-8 is replaced.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
