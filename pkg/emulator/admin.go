package emulator

import (
	"encoding/json"
	"io"
	"net/http"
)

// adminRoutes registers the emulator-only endpoints, open unless
// Config.AdminUser is set:
//
//	GET  /healthz, /-emulator/healthz        200 "ok" (never faulted, never authenticated)
//	GET  /-emulator/stats                    Stats as JSON
//	GET  /-emulator/faults                   current Faults as JSON
//	POST /-emulator/faults                   replace Faults (JSON body, durations as "250ms"); answers the new Faults
//	POST /-emulator/fire?owner=&project=     one created webhook per document (source GUI); answers {"fired": n}
//	POST /-emulator/fire?owner=&project=&id= one created webhook for one document
func (s *Server) adminRoutes(mux *http.ServeMux) {
	healthz := func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, http.StatusOK, ctText, []byte("ok\n"))
	}
	mux.HandleFunc("/-emulator/healthz", healthz)
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/-emulator/stats", s.admin(s.handleStats))
	mux.HandleFunc("/-emulator/faults", s.admin(s.handleFaults))
	mux.HandleFunc("/-emulator/fire", s.admin(s.handleFire))
}

func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.adminOK(w, r) {
			h(w, r)
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "encode response")
		return
	}
	writeBody(w, code, ctJSON, b)
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, "GET")
		return
	}
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.Faults())
	case http.MethodPost, http.MethodPut:
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			httpError(w, http.StatusBadRequest, "read body: "+err.Error())
			return
		}
		var f Faults
		if err := json.Unmarshal(b, &f); err != nil {
			httpError(w, http.StatusBadRequest, "decode faults: "+err.Error())
			return
		}
		if err := s.SetFaults(f); err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	default:
		methodNotAllowed(w, "GET, POST")
	}
}

func (s *Server) handleFire(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	q := r.URL.Query()
	owner, name := q.Get("owner"), q.Get("project")
	if owner == "" || name == "" {
		httpError(w, http.StatusBadRequest, "missing parameter owner or project")
		return
	}
	if id := q.Get("id"); id != "" {
		if err := s.FireCreated(owner, name, id); err != nil {
			httpError(w, statusOf(err), err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"fired": 1})
		return
	}
	n, err := s.FireAll(r.Context(), owner, name)
	if err != nil && n == 0 {
		httpError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"fired": n})
}
