package tagtog

import (
	"errors"
	"testing"
)

func FuzzDecodePushReport(f *testing.F) {
	f.Add([]byte(pushReport(memoID)))
	f.Add([]byte(`{"ok":1,"errors":0,"items":[{"names":["a"],"tagtogID":"x","result":"updated"}]}`))
	f.Add([]byte(`{"ok":0,"errors":1,"items":[{}],"warnings":[{"msg":"?"}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"ok":"1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodePushReport(b)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) || r != nil {
				t.Fatalf("decode error %v (report %v) must wrap ErrBadResponse and come alone", err, r)
			}
			return
		}
		for _, it := range r.Items {
			if it.TagtogID == "" && it.DocID != "" {
				t.Fatalf("item %+v: docid not used as the id", it)
			}
		}
		if checkPush(memoID, r) == nil &&
			(r.OK != 1 || len(r.Items) != 1 || r.Items[0].TagtogID != memoID || r.Items[0].Result != "updated") {
			t.Fatalf("checkPush accepted %+v", r)
		}
	})
}

func FuzzDecodeSearchPage(f *testing.F) {
	f.Add([]byte(`{"version":"0.7.0","search":"*","totalFound":1,"pages":{"current":0,"previous":-1,"next":-1,"numPages":1,"pageSize":50},` +
		`"docs":[{"id":"a-b.txt","filename":"b.txt","header":"h","created":"2021-07-15T16:34:41.720Z","updated":"2021-07-15T16:34:41.720Z",` +
		`"anncomplete":false,"members_anncomplete":[],"members_assigned":[],"folder":"pool"}]}`))
	f.Add([]byte(`{"pages":{"current":3,"next":2}}`))
	f.Add([]byte(`{"docs":[{"created":"yesterday"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeSearchPage(b)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) || p != nil {
				t.Fatalf("decode error %v (page %v) must wrap ErrBadResponse and come alone", err, p)
			}
			return
		}
		if p.Pages.Next != -1 && p.Pages.Next <= p.Pages.Current {
			t.Fatalf("page %d with next %d accepted: SearchAll would not advance", p.Pages.Current, p.Pages.Next)
		}
	})
}

func FuzzDecodeLegend(f *testing.F) {
	f.Add([]byte(`{"e_1":"PERSON","m_1":"Category"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"e_1":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeLegend(b)
		if err == nil && m == nil {
			t.Fatal("nil legend without error")
		}
		if err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("decode error %v must wrap ErrBadResponse", err)
		}
	})
}
