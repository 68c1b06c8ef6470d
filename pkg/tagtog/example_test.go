package tagtog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

func ExampleClient_PushAnndoc() {
	// A stand-in for tagtog that answers pushes as tagtog does.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ok":1,"errors":0,"items":[{"tagtogID":"aX-memo.txt","result":"created"}],"warnings":[]}`)
	}))
	defer srv.Close()

	c, err := tagtog.New(tagtog.Config{BaseURL: srv.URL, Username: "svc-bot", Password: "secret"})
	if err != nil {
		panic(err)
	}
	ref := tagtog.DocRef{Owner: "acme", Project: "ner-demo", ID: "aX-memo.txt"}
	_, err = c.PushAnndoc(context.Background(), ref, []byte(`<html id="aX-memo.txt">…</html>`), []byte(`{"entities":[]}`))
	// tagtog created a new document instead of updating ours: never retried.
	fmt.Println(errors.Is(err, tagtog.ErrDocumentMismatch), retry.IsPermanent(err))
	// Output: true true
}
