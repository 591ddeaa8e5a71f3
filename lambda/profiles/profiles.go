// Package profiles serves a signed-in user's profile with their students
// (GET /me) and changes what a user may change of it: name and phone
// (PATCH /me). Profiles are cached at the user's profile version, which
// every change raises in its own transaction (package freshness), so a
// read that starts after a change is answered never sees the profile
// from before it. Students are written by the schools' tools, straight to
// the database, and not through the platform: a change of a student is
// seen when the cached profile expires.
package profiles

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/plaintext"
)

// MaxNameLen is the longest first or last name, in characters.
const MaxNameLen = 50

// phonePattern is a phone number as the platform stores it: digits, 10 to
// 15 of them, optionally after a +.
var phonePattern = regexp.MustCompile(`^\+?[0-9]{10,15}$`)

// Profile is a user as they see themselves.
type Profile struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	// Phone is empty when the user has none.
	Phone string `json:"phone"`
	Role  string `json:"role"`
	// SchoolID is a staff member's or student's school, empty otherwise.
	SchoolID string `json:"schoolId,omitempty"`
	// Students are a parent's children, or a student's own record.
	Students []Student `json:"students"`
}

// Student is one student of a profile.
type Student struct {
	ID         string `json:"id"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	Grade      string `json:"grade"`
	Section    string `json:"section"`
	SchoolID   string `json:"schoolId"`
	SchoolName string `json:"schoolName"`
	Active     bool   `json:"active"`
}

// Change is a partial update of a profile: a nil field stays as it is.
type Change struct {
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	// Phone "" removes the phone number.
	Phone *string `json:"phone"`
}

// Store keeps profiles.
type Store interface {
	// Profile returns the user's profile with their students. Errors:
	// NotFound, Unavailable.
	Profile(ctx context.Context, userID string) (*Profile, error)
	// Update applies c to the user and raises the user's profile version
	// in the same transaction, returning the new version. Errors:
	// NotFound, Unavailable.
	Update(ctx context.Context, userID string, c Change) (int64, error)
}

// Service reads and changes profiles.
type Service struct {
	Store Store
	// Cache keeps profiles by user (the scope), at the user's profile
	// version.
	Cache freshness.Cache[Profile]
}

// cacheKey is a profile's key within its user's scope: a user has one.
const cacheKey = "me"

// Get returns the user's profile. Errors: NotFound, Unavailable.
func (s *Service) Get(ctx context.Context, userID string) (*Profile, error) {
	p, err := freshness.Read(ctx, s.Cache, userID, cacheKey, func(ctx context.Context) (*Profile, error) {
		return s.Store.Profile(ctx, userID)
	})
	if err != nil {
		return nil, fmt.Errorf("profile of user %s: %w", userID, err)
	}
	return p, nil
}

// Update changes the user's profile and returns it as it now is. The
// cache learns of the change before it returns. Errors: Invalid (no field,
// a field out of bounds), NotFound, Unavailable.
func (s *Service) Update(ctx context.Context, userID string, c Change) (*Profile, error) {
	if err := validate(&c); err != nil {
		return nil, err
	}
	v, err := s.Store.Update(ctx, userID, c)
	if err != nil {
		return nil, fmt.Errorf("update profile of user %s: %w", userID, err)
	}
	s.Cache.Changed(ctx, userID, v)
	return s.Get(ctx, userID)
}

// validate checks c and trims its names.
func validate(c *Change) error {
	if c.FirstName == nil && c.LastName == nil && c.Phone == nil {
		return apperr.New(apperr.Invalid, "nothing to change: send firstName, lastName or phone")
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"firstName", c.FirstName}, {"lastName", c.LastName}} {
		if f.value == nil {
			continue
		}
		*f.value = strings.TrimSpace(*f.value)
		switch n := utf8.RuneCountInString(*f.value); {
		case !plaintext.Valid(*f.value):
			return apperr.Field(f.name, "%s must be text without control characters", f.name)
		case n == 0:
			return apperr.Field(f.name, "%s must not be empty", f.name)
		case n > MaxNameLen:
			return apperr.Field(f.name, "%s is longer than %d characters", f.name, MaxNameLen)
		}
	}
	if c.Phone != nil && *c.Phone != "" && !phonePattern.MatchString(*c.Phone) {
		return apperr.Field("phone", "phone must be 10 to 15 digits, optionally after a +, or empty to remove it")
	}
	return nil
}
