// Package rfid verifies a student's meal collection by RFID card: the
// card must be active and unexpired and belong to the reader's school, the
// student must have a paid order for today, and each order is served once.
// This is the lunchtime hot path, so the store does it in one round trip.
package rfid

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/ist"
	"github.com/hasivu/infra/lambda/plaintext"
)

// Request is one card tap.
type Request struct {
	CardNumber string `json:"cardNumber"`
	// ReaderID names the reader device, for the audit trail.
	ReaderID string `json:"readerId"`
}

// Lookup is what the store is asked.
type Lookup struct {
	CardNumber string
	ReaderID   string
	// VerifiedBy is the user id of the caller who verifies the meal,
	// recorded with it.
	VerifiedBy string
	Date       time.Time
	// SchoolID restricts the card to one school; empty for platform
	// admins, who may verify at any school.
	SchoolID string
	// At is the time of the tap: cards expiring by then are refused.
	At time.Time
}

// Outcome is what the store found and did.
type Outcome struct {
	// CardFound is false when no active card has the number.
	CardFound bool
	Expired   bool
	// OtherSchool is true when the card belongs to another school. The
	// caller is answered as for an unknown card: a reader must not learn
	// which numbers other schools use.
	OtherSchool bool
	StudentID   string
	StudentName string
	Grade       string
	// OrderID is today's paid order, empty if there is none.
	OrderID string
	// Recorded is true when this tap recorded the verification.
	Recorded bool
	// SchoolID is the card's school and SchoolVersion the version of its
	// summaries (package analytics) the recorded meal raised, zero when
	// nothing was recorded.
	SchoolID      string
	SchoolVersion int64
	// ServedAt is when the meal was (or had been) served.
	ServedAt time.Time
}

// Store records verifications.
type Store interface {
	// Verify finds the card, its student and today's paid order and
	// records the verification unless one exists, raising the version of
	// the school's summaries when it does, in one round trip. Errors:
	// Unavailable.
	Verify(ctx context.Context, l Lookup) (*Outcome, error)
}

// Verification is a successful tap.
type Verification struct {
	Result      string    `json:"result"`
	StudentID   string    `json:"studentId"`
	StudentName string    `json:"studentName"`
	Grade       string    `json:"grade"`
	OrderID     string    `json:"orderId"`
	ServedAt    time.Time `json:"servedAt"`
}

// Service verifies taps.
type Service struct {
	Store Store
	// Schools hears that a recorded meal changed its school's summaries
	// (package analytics), by school id, before the tap is answered.
	Schools freshness.Changes
	// Now returns the current time; tests move it.
	Now func() time.Time
}

// Verify checks a tap by a signed-in reader operator and records who
// verified the meal. Errors: Invalid (card number), Unauthorized (a caller
// without a user id), Forbidden (caller is not kitchen staff or admin,
// card expired), NotFound (no active card at the caller's school: unknown
// and another school's cards get the same answer), Conflict (meal already
// served; the message says when), Unavailable.
func (s *Service) Verify(ctx context.Context, who *auth.Claims, req Request) (*Verification, error) {
	var school string
	switch who.Role {
	case auth.RoleKitchenStaff, auth.RoleSchoolAdmin:
		if who.SchoolID == "" {
			return nil, apperr.New(apperr.Forbidden, "your account is not attached to a school")
		}
		school = who.SchoolID
	case auth.RoleAdmin:
	default:
		return nil, apperr.New(apperr.Forbidden, "only school staff may verify meal cards")
	}
	if who.UserID == "" {
		return nil, apperr.New(apperr.Unauthorized, "your token names no user: sign in again")
	}
	card := strings.TrimSpace(req.CardNumber)
	if card == "" {
		return nil, apperr.Field("cardNumber", "cardNumber is required")
	}
	if len(card) > 32 || !alnum(card) {
		return nil, apperr.Field("cardNumber", "cardNumber must be 1 to 32 letters or digits")
	}
	if len(req.ReaderID) > 64 {
		return nil, apperr.Field("readerId", "readerId is longer than 64 characters")
	}
	if !plaintext.Valid(req.ReaderID) {
		return nil, apperr.Field("readerId", "readerId must be text without control characters")
	}
	now := s.Now()
	today := ist.Today(now)
	out, err := s.Store.Verify(ctx, Lookup{CardNumber: strings.ToUpper(card), ReaderID: req.ReaderID, VerifiedBy: who.UserID, Date: today, SchoolID: school, At: now})
	if err != nil {
		return nil, fmt.Errorf("verify card %s: %w", card, err)
	}
	if out.Recorded && out.SchoolVersion > 0 && s.Schools != nil {
		s.Schools.Changed(ctx, out.SchoolID, out.SchoolVersion)
	}
	switch {
	case !out.CardFound || out.OtherSchool:
		return nil, apperr.New(apperr.NotFound, "no active card with number %s", card)
	case out.Expired:
		return nil, apperr.New(apperr.Forbidden, "card %s has expired", card)
	case out.OrderID == "":
		return nil, apperr.New(apperr.NotFound, "%s has no paid meal order for %s", out.StudentName, today.Format(time.DateOnly))
	case !out.Recorded && out.ServedAt.IsZero():
		// A simultaneous tap recorded it a moment ago.
		return nil, apperr.New(apperr.Conflict, "already served: %s has collected this meal", out.StudentName)
	case !out.Recorded:
		return nil, apperr.New(apperr.Conflict, "already served: %s collected this meal at %s",
			out.StudentName, out.ServedAt.In(ist.Zone).Format("15:04"))
	}
	return &Verification{Result: "verified", StudentID: out.StudentID, StudentName: out.StudentName,
		Grade: out.Grade, OrderID: out.OrderID, ServedAt: out.ServedAt}, nil
}

func alnum(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
