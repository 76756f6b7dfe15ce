package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/azotte/azvalidate/internal/azotte"
)

// info answers GET .../customer/info?exId=ID: for a taken id a snapshot of
// the customer holding it (a URN derived from the id, status Active, the
// email of Config.Emails or a made-up one), else 404 CUSTOMER_NOT_FOUND.
// The checks, faults and latency are validate's.
func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	s.infoRequests.Add(1)
	if !allow(w, r, http.MethodGet) {
		return
	}
	if !s.admit(w, r) {
		return
	}
	id := r.URL.Query().Get("exId")
	if id == "" || len(id) > MaxIDBytes {
		writeStatus(w, http.StatusBadRequest, "INVALID_REQUEST")
		return
	}
	if s.disturbed(w, r) {
		return
	}
	if !s.cfg.Taken[id] {
		writeStatus(w, http.StatusNotFound, azotte.MessageNotFound)
		return
	}
	email, ok := s.cfg.Emails[id]
	if !ok {
		email = "holder." + strconv.FormatUint(idHash(id), 36) + "@example.invalid"
	}
	body, _ := json.Marshal(struct {
		Result azotte.InfoResult `json:"result"`
		Status azotte.Status     `json:"status"`
	}{azotte.InfoResult{CustomerURN: OwnerURN(id), ExternalIdentifier: id, Email: email, Status: "Active"},
		azotte.Status{MessageCode: azotte.MessageSuccess}})
	w.Header().Set("Content-Type", azotte.ResponseContentType)
	_, _ = w.Write(body)
	s.answered.Add(1)
}

// OwnerURN is the customerUrn the sandbox gives the customer holding a
// taken id: derived from the id, so that tests can tell it.
func OwnerURN(id string) string {
	return "cu.00." + strconv.FormatUint(idHash(id)%1_000_000, 10)
}

// idHash is FNV-1a of id: stable across runs, unlike maphash.
func idHash(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}
