package emulator

import "net/http"

func (s *Server) uiRoutes(mux *http.ServeMux) {}

func (s *Server) serveDocPage(w http.ResponseWriter, r *http.Request, p *project, id string) {
	writeBody(w, http.StatusOK, ctText, []byte(s.webURL(r, p, id)))
}
