package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

var backfillCommand = command{
	path:  "backfill",
	short: "publish a created event for every existing document of a tagtog project",
	long: `Lists the project's documents with tagtog's search API (50 per page) and
publishes one "created" event (source API) per document to the event stream, so
that documents imported before tagflow ran are annotated like new imports.

Created events are deduplicated on the document's identity (owner, project,
member, document id) within the stream's duplicate window (default 2m): a
document already published within the window is stored once and counted as a
duplicate, so repeating a backfill right away is harmless; a backfill run after
the window publishes every document again (the worker then replaces its own
earlier annotations and keeps everything else).

-dry-run lists the documents that would be published and needs no NATS.`,
	setup: func(a *app, fs *flag.FlagSet) runFunc {
		nf := defineNATS(fs)
		owner := config.String(fs, "owner", "", "", "tagtog project owner (required)")
		project := config.String(fs, "project", "", "", "tagtog project name (required)")
		query := config.String(fs, "query", "", "*", "tagtog search query selecting the documents")
		dryRun := config.Bool(fs, "dry-run", "", false, "list the documents, publish nothing")
		tagtogURL := config.String(fs, "tagtog-url", "TAGTOG_URL", "https://www.tagtog.com", "tagtog base URL (cloud or on-premises)")
		tagtogUser := config.String(fs, "tagtog-username", "TAGTOG_USERNAME", "", "tagtog user with the API role (admin, reviewer or supercurator)")
		tagtogPassword := config.Secret(fs, "tagtog-password", "TAGTOG_PASSWORD", "tagtog password")
		return func(ctx context.Context, operands []string) error {
			switch {
			case len(operands) > 0:
				return usagef("unexpected arguments: %s", strings.Join(operands, " "))
			case strings.TrimSpace(*owner) == "" || strings.TrimSpace(*project) == "":
				return usagef("-owner and -project are required")
			case strings.TrimSpace(*query) == "":
				return usagef("-query must not be empty (use '*' for every document)")
			}
			tc, err := tagtog.New(tagtog.Config{BaseURL: *tagtogURL, Username: *tagtogUser, Password: *tagtogPassword})
			if err != nil {
				return usagef("%v", err)
			}
			defer tc.CloseIdleConnections()
			b := &backfill{app: a, tagtog: tc, owner: *owner, project: *project, query: *query}
			if *dryRun {
				return b.dryRun(ctx)
			}
			c, err := nf.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			rctx, cancel := nf.request(ctx)
			err = c.Ready(rctx)
			cancel()
			if err != nil {
				return explain(err)
			}
			b.pub = queue.NewPublisher(c)
			return b.run(ctx)
		}
	},
}

// backfill publishes created events for a project's documents.
type backfill struct {
	*app
	tagtog                *tagtog.Client
	pub                   *queue.Publisher
	owner, project, query string
}

// errPublish marks a failed publish, so that it is not mistaken for a tagtog error.
var errPublish = errors.New("publish")

func (b *backfill) run(ctx context.Context) error {
	var docs, published, duplicates int
	err := b.tagtog.SearchAll(ctx, b.owner, b.project, b.query, func(d tagtog.SearchDoc) error {
		docs++
		env := event.New(time.Now(), b.owner, b.project, d.ID, "", event.StatusCreated, event.SourceAPI)
		dup, err := b.pub.Publish(ctx, env)
		if err != nil {
			return fmt.Errorf("%w: document %s: %w", errPublish, clean(d.ID), err)
		}
		if dup {
			duplicates++
		} else {
			published++
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, errPublish) {
			err = fmt.Errorf("list documents of %s/%s: %w", b.owner, b.project, err)
		}
		fmt.Fprintf(b.stderr, "%s backfill: %v\n", name, explain(err))
		fmt.Fprintf(b.stdout, "stopped: %d published, %d duplicates\n", published, duplicates)
		return errReported
	}
	_, err = fmt.Fprintf(b.stdout, "%d documents: %d published, %d duplicates\n", docs, published, duplicates)
	return err
}

func (b *backfill) dryRun(ctx context.Context) error {
	docs := 0
	err := b.tagtog.SearchAll(ctx, b.owner, b.project, b.query, func(d tagtog.SearchDoc) error {
		docs++
		_, err := fmt.Fprintf(b.stdout, "%s\t%s\n", clean(d.ID), clean(d.Filename))
		return err
	})
	if err != nil {
		return fmt.Errorf("list documents of %s/%s: %w", b.owner, b.project, err)
	}
	_, err = fmt.Fprintf(b.stdout, "%d documents: dry run, nothing published\n", docs)
	return err
}
