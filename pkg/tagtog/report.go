package tagtog

import (
	"encoding/json"
	"fmt"
	"time"
)

// PushResult is tagtog's report on an upload made with output=null.
type PushResult struct {
	// OK and Errors count the documents processed and failed.
	OK, Errors int
	Items      []PushItem
	// Warnings are kept undecoded (their shape is undocumented).
	Warnings []json.RawMessage
}

// PushItem is the report on one uploaded document.
type PushItem struct {
	// TagtogID is the document's id (from "tagtogID", or "docid" when absent).
	TagtogID string
	// DocID is the "docid" field as sent.
	DocID string
	// Result is "created" or "updated".
	Result string
	// OrigID is the original name of the document's content.
	OrigID string
	// Names are the uploaded part names (from "names", or "filenames").
	Names []string
}

type pushReportJSON struct {
	OK       int               `json:"ok"`
	Errors   int               `json:"errors"`
	Warnings []json.RawMessage `json:"warnings"`
	Items    []struct {
		OrigID    string   `json:"origid"`
		Names     []string `json:"names"`
		Filenames []string `json:"filenames"`
		DocID     string   `json:"docid"`
		TagtogID  string   `json:"tagtogID"`
		Result    string   `json:"result"`
	} `json:"items"`
}

// decodePushReport decodes the JSON report of an output=null upload.
func decodePushReport(b []byte) (*PushResult, error) {
	var r pushReportJSON
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: upload report: %v", ErrBadResponse, err)
	}
	res := &PushResult{OK: r.OK, Errors: r.Errors, Warnings: r.Warnings, Items: make([]PushItem, 0, len(r.Items))}
	for _, it := range r.Items {
		p := PushItem{TagtogID: it.TagtogID, DocID: it.DocID, Result: it.Result, OrigID: it.OrigID, Names: it.Names}
		if p.TagtogID == "" {
			p.TagtogID = it.DocID
		}
		if len(p.Names) == 0 {
			p.Names = it.Filenames
		}
		res.Items = append(res.Items, p)
	}
	return res, nil
}

// checkPush verifies that a push updated exactly the document id: one
// document processed without error, reported as "updated" under the same id.
func checkPush(id string, r *PushResult) error {
	if r.OK == 1 && r.Errors == 0 && len(r.Items) == 1 && r.Items[0].TagtogID == id && r.Items[0].Result == "updated" {
		return nil
	}
	got := fmt.Sprintf("ok=%d errors=%d items=%d", r.OK, r.Errors, len(r.Items))
	if len(r.Items) > 0 {
		got += fmt.Sprintf(", result %q for %q", r.Items[0].Result, r.Items[0].TagtogID)
	}
	return fmt.Errorf("%w: pushed %q, tagtog reported %s (want ok=1 errors=0 items=1, result \"updated\" for %q)",
		ErrDocumentMismatch, id, got, id)
}

// SearchPage is one page (50 documents) of search results.
type SearchPage struct {
	Version    string      `json:"version"`
	Search     string      `json:"search"`
	TotalFound int         `json:"totalFound"`
	Pages      Pages       `json:"pages"`
	Docs       []SearchDoc `json:"docs"`
}

// Pages locates a SearchPage among all pages; Previous and Next are -1 on
// the first and last page.
type Pages struct {
	Current  int `json:"current"`
	Previous int `json:"previous"`
	Next     int `json:"next"`
	NumPages int `json:"numPages"`
	PageSize int `json:"pageSize"`
}

// SearchDoc is one document found by a search.
type SearchDoc struct {
	ID                 string    `json:"id"`
	Filename           string    `json:"filename"`
	Header             string    `json:"header"`
	Created            time.Time `json:"created"`
	Updated            time.Time `json:"updated"`
	AnnComplete        bool      `json:"anncomplete"`
	MembersAnnComplete []string  `json:"members_anncomplete"`
	MembersAssigned    []string  `json:"members_assigned"`
	Folder             string    `json:"folder"`
}

// decodeSearchPage decodes a search response (output=search).
func decodeSearchPage(b []byte) (*SearchPage, error) {
	var p SearchPage
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: search page: %v", ErrBadResponse, err)
	}
	if p.Pages.Next != -1 && p.Pages.Next <= p.Pages.Current {
		return nil, fmt.Errorf("%w: search page %d names next page %d", ErrBadResponse, p.Pages.Current, p.Pages.Next)
	}
	return &p, nil
}

// decodeLegend decodes an annotationsLegend response.
func decodeLegend(b []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: annotations legend: %v", ErrBadResponse, err)
	}
	if m == nil { // "null"
		m = map[string]string{}
	}
	return m, nil
}
