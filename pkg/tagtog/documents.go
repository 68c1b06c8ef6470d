package tagtog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/tagflow/tagflow/pkg/retry"
)

// Operation names: the op label of the metrics and StatusError.Op.
const (
	opLegend    = "legend"
	opPlainHTML = "plain_html"
	opAnnJSON   = "ann_json"
	opPush      = "push"
	opSearch    = "search"
	opImport    = "import"
)

// Legend returns the project's annotations legend: annotation-task id
// (e_1, m_2, ...) to name. Entity types, document labels and other kinds are
// mixed; callers filter by id prefix. Errors: see PlainHTML.
func (c *Client) Legend(ctx context.Context, owner, project string) (map[string]string, error) {
	if owner == "" || project == "" {
		return nil, retry.Permanent(fmt.Errorf("tagtog: legend: %w: owner and project are required", ErrInvalidArgument))
	}
	b, err := c.do(ctx, request{op: opLegend, method: http.MethodGet, path: legendPath,
		params: []string{"owner", owner, "project", project}})
	if err == nil {
		var m map[string]string
		if m, err = decodeLegend(b); err == nil {
			return m, nil
		}
		err = retry.Permanent(err)
	}
	return nil, fmt.Errorf("tagtog: legend of %s/%s: %w", owner, project, err)
}

// PlainHTML returns the document's plain.html, the exact bytes tagtog sent.
//
// Errors wrap a *StatusError for non-2xx answers: 404 (ErrNotFound) and
// 401/403 (ErrAuth) and other 4xx are permanent (retry.IsPermanent); 408,
// 429 and 5xx are retried within the policy's budget, as are connection
// errors and timeouts. When the budget is spent the error wraps
// retry.ErrBudgetExhausted, and retry.RetryAfterOf gives the server's hint.
// A body over Config.MaxResponseBytes gives ErrTooLarge (permanent).
func (c *Client) PlainHTML(ctx context.Context, ref DocRef) ([]byte, error) {
	return c.getDocument(ctx, ref, opPlainHTML, "plain.html")
}

// AnnJSON returns the annotations (ann.json) of the document's member version
// as sent by tagtog (for a member without a version of its own, tagtog sends
// master's). Errors: see PlainHTML.
func (c *Client) AnnJSON(ctx context.Context, ref DocRef) ([]byte, error) {
	return c.getDocument(ctx, ref, opAnnJSON, "ann.json")
}

func (c *Client) getDocument(ctx context.Context, ref DocRef, op, output string) ([]byte, error) {
	if err := ref.validate(); err != nil {
		return nil, fmt.Errorf("tagtog: get %s: %w", output, err)
	}
	b, err := c.do(ctx, request{op: op, method: http.MethodGet, path: documentsPath,
		params: ref.params("ids", ref.ID, "output", output)})
	if err != nil {
		return nil, fmt.Errorf("tagtog: get %s of %q (%s/%s): %w", output, ref.ID, ref.Owner, ref.Project, err)
	}
	return b, nil
}

// PushAnndoc replaces the annotations of the document's member version:
// POST ?owner&project&output=null&format=anndoc[&member] with the multipart
// parts "<id>.plain.html" (plainHTML, byte for byte as fetched) and
// "<id>.ann.json". tagtog recognises the document by the id inside the
// plain.html.
//
// A push is retried like a read: it replaces the version wholesale, so a
// repeat after a lost response leaves the same state.
//
// tagtog must report one document "updated" under ref.ID; anything else (a
// new document created, another id, a failure count) is an error wrapping
// ErrDocumentMismatch, permanent, naming both ids; the decoded report is
// returned with it. Other errors: see PlainHTML.
func (c *Client) PushAnndoc(ctx context.Context, ref DocRef, plainHTML, annJSON []byte) (*PushResult, error) {
	if err := ref.validate(); err != nil {
		return nil, fmt.Errorf("tagtog: push: %w", err)
	}
	if len(plainHTML) == 0 || len(annJSON) == 0 {
		return nil, retry.Permanent(fmt.Errorf("tagtog: push %q: %w: plain.html and ann.json must not be empty", ref.ID, ErrInvalidArgument))
	}
	body, contentType := anndocBody(ref.ID, plainHTML, annJSON)
	b, err := c.do(ctx, request{op: opPush, method: http.MethodPost, path: documentsPath,
		params: ref.params("output", "null", "format", "anndoc"), body: body, contentType: contentType})
	if err != nil {
		return nil, fmt.Errorf("tagtog: push %q (%s/%s): %w", ref.ID, ref.Owner, ref.Project, err)
	}
	res, err := decodePushReport(b)
	if err == nil {
		err = checkPush(ref.ID, res)
	}
	if err != nil {
		return res, retry.Permanent(fmt.Errorf("tagtog: push %q (%s/%s): %w", ref.ID, ref.Owner, ref.Project, err))
	}
	return res, nil
}

// Search returns one page (0-based) of the documents matching query (tagtog's
// search syntax; "*" finds all). Errors: see PlainHTML; an undecodable page
// gives ErrBadResponse (permanent).
func (c *Client) Search(ctx context.Context, owner, project, query string, page int) (*SearchPage, error) {
	if owner == "" || project == "" || page < 0 {
		return nil, retry.Permanent(fmt.Errorf("tagtog: search: %w: owner, project and a page >= 0 are required", ErrInvalidArgument))
	}
	b, err := c.do(ctx, request{op: opSearch, method: http.MethodGet, path: documentsPath,
		params: []string{"owner", owner, "project", project, "search", query, "page", fmt.Sprint(page), "output", "search"}})
	if err == nil {
		var p *SearchPage
		if p, err = decodeSearchPage(b); err == nil {
			return p, nil
		}
		err = retry.Permanent(err)
	}
	return nil, fmt.Errorf("tagtog: search %q page %d (%s/%s): %w", query, page, owner, project, err)
}

// SearchAll calls fn for every document matching query, page after page,
// until the last page (next == -1). It stops at the first error, returning
// fn's error unchanged. Errors: see Search.
func (c *Client) SearchAll(ctx context.Context, owner, project, query string, fn func(SearchDoc) error) error {
	for page := 0; page != -1; {
		p, err := c.Search(ctx, owner, project, query, page)
		if err != nil {
			return err
		}
		for _, d := range p.Docs {
			if err := fn(d); err != nil {
				return err
			}
		}
		page = p.Pages.Next
	}
	return nil
}

// ImportText imports text as a new verbatim document and returns its
// tagtogID. filename (optional; tagtog appends ".txt" when missing) names the
// document. An import is not idempotent (a repeat creates a second document),
// so only failures showing that tagtog did not process the request (no
// connection, 429, 503) are retried; other transport errors and 5xx are
// returned at once, marked permanent.
func (c *Client) ImportText(ctx context.Context, owner, project, filename, text string) (string, error) {
	if owner == "" || project == "" {
		return "", retry.Permanent(fmt.Errorf("tagtog: import: %w: owner and project are required", ErrInvalidArgument))
	}
	params := []string{"owner", owner, "project", project, "output", "null"}
	if filename != "" {
		params = append(params, "filename", filename)
	}
	b, err := c.do(ctx, request{op: opImport, method: http.MethodPost, path: documentsPath, params: params,
		body: []byte(url.Values{"text": {text}}.Encode()), contentType: "application/x-www-form-urlencoded",
		notIdempotent: true})
	if err == nil {
		var r *PushResult
		if r, err = decodePushReport(b); err == nil {
			if r.OK >= 1 && len(r.Items) >= 1 && r.Items[0].TagtogID != "" {
				return r.Items[0].TagtogID, nil
			}
			err = fmt.Errorf("%w: import report has no document id (ok=%d errors=%d items=%d)",
				ErrBadResponse, r.OK, r.Errors, len(r.Items))
		}
		err = retry.Permanent(err)
	}
	return "", fmt.Errorf("tagtog: import %q (%s/%s): %w", filename, owner, project, err)
}

// retryReason names the cause of a retry for the retries metric.
func retryReason(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusTooManyRequests:
			return "429"
		case se.Code == http.StatusRequestTimeout:
			return "408"
		case se.Code >= 500:
			return "5xx"
		}
		return "other"
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return "connection"
	}
	return "other"
}
