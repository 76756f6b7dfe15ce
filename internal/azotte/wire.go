// Package azotte owns the wire contract of Azotte's validate call (request and
// response types, content types, paths) and the HTTP client that makes it.
// The sandbox imports only the wire types from this file.
package azotte

import "encoding/json"

// Paths that serve the validate call. Azotte's page lists the first; every code
// sample uses the second, which is the default.
const (
	DefaultPath = "/api/v1/c2a/customer/validate"
	LegacyPath  = "/api/c2a/customer/validate"
)

// Header names and values of the contract.
const (
	HeaderTenant = "x-tn"
	HeaderAPIKey = "x-api-key"
	// ResponseContentType is what Azotte documents for its answers; clients
	// must accept it (and any other) and judge the body by parsing it.
	ResponseContentType = "application/clientOutput+Json"
	// MessageSuccess is status.messageCode on an answer.
	MessageSuccess = "SUCCESS"
)

// Rate-limit headers Azotte documents. Reset is either a Unix time (a value
// above 1e9) or seconds from now.
const (
	HeaderRateLimit      = "X-RateLimit-Limit"
	HeaderRateRemaining  = "X-RateLimit-Remaining"
	HeaderRateReset      = "X-RateLimit-Reset"
	HeaderRateRetryAfter = "X-RateLimit-Retry-After"
)

// ValidateRequest is the body of POST .../customer/validate.
type ValidateRequest struct {
	ExternalID string `json:"externalId"`
}

// Status is Azotte's AzotteStatus envelope; only messageCode is documented.
type Status struct {
	MessageCode string `json:"messageCode"`
}

// ValidateResponse is Azotte's ValidateCustomerResponse. IsAvailable is a
// pointer so that a body without it is told apart from false. Status is kept
// as returned, extra fields included; Azotte documents only messageCode.
type ValidateResponse struct {
	IsAvailable *bool           `json:"isAvailable"`
	Status      json.RawMessage `json:"status"`
}
