// Package audit writes the security audit trail: one JSON line per event
// (sign-ins, refused tokens, refused webhook signatures, payment
// outcomes), each with the fixed marker "audit":true, so that a CloudWatch
// Logs Insights query (filter audit = 1) finds them among a function's
// other lines. A line names who and what by ids only: a user's id, or
// for a sign-in that may name no account the email's hash
// (loginguard.EmailHash, which on-call can compute from an address they
// are asked about, while the log never holds the address itself), the
// order and payment ids, the client's address and the request id. Event
// has no field for a password, a token, a signature or a secret, so none
// can be written.
package audit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Event names.
const (
	Login            = "login"
	TokenRejected    = "token_rejected"
	WebhookSignature = "webhook_signature_rejected"
	PaymentOutcome   = "payment_outcome"
)

// Outcomes of a sign-in.
const (
	Success = "success"
	Failure = "failure"
	Locked  = "locked"
	Refused = "refused"
)

// Event is one audit line.
type Event struct {
	Event     string `json:"event"`
	Outcome   string `json:"outcome"`
	Function  string `json:"function,omitempty"`
	UserID    string `json:"userId,omitempty"`
	EmailHash string `json:"emailHash,omitempty"`
	OrderID   string `json:"orderId,omitempty"`
	PaymentID string `json:"paymentId,omitempty"`
	// Reason is a code saying why ("amount_mismatch", "token expired").
	Reason    string `json:"reason,omitempty"`
	SourceIP  string `json:"sourceIp,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	// RetryAfterSeconds is how long a locked sign-in must wait.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
}

// line is an Event as written.
type line struct {
	Audit bool      `json:"audit"`
	Time  time.Time `json:"time"`
	Event
}

// Log writes audit lines to W (stdout in Lambda, which CloudWatch Logs
// keeps in the function's log group).
type Log struct {
	mu sync.Mutex
	W  io.Writer
}

// Write writes e as one line. A failure to write is logged, never
// returned: the request it records has been answered.
func (l *Log) Write(ctx context.Context, e Event) {
	if l == nil || l.W == nil {
		return
	}
	b, err := json.Marshal(line{Audit: true, Time: time.Now().UTC(), Event: e})
	if err != nil {
		slog.ErrorContext(ctx, "encode audit line", "error", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.W.Write(append(b, '\n')); err != nil {
		slog.ErrorContext(ctx, "write audit line", "error", err)
	}
}
