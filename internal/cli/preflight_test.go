package cli

import "github.com/azotte/azvalidate/internal/azotte"

// idRequests is how many requests e saw about ids: all but the preflight's.
func idRequests(e *endpoint) int64 { return e.Requests() - int64(e.Calls(azotte.PreflightID)) }
