// Package analytics summarises a school's days for its staff: per day of
// a date range, the orders placed for it, those paid, the meals collected
// by RFID and the revenue of the paid orders. A summary is cached at the
// version of the school's summaries (package freshness), which every
// write that changes one raises in its own transaction: an order placed
// (package orders), a payment settling or refunding an order (package
// payments), a meal collected (package rfid). So a summary read after
// such a write was answered always counts it.
package analytics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/ids"
)

// MaxDays is the longest range a summary covers: a month, which the
// store reads in one index range per table (bench: analytics.daily).
const MaxDays = 31

// Summary is a school's days from From to To, both included.
type Summary struct {
	SchoolID string `json:"schoolId"`
	From     string `json:"from"`
	To       string `json:"to"`
	Days     []Day  `json:"days"`
	Totals   Totals `json:"totals"`
}

// Day is one day's figures, by delivery (and service) date.
type Day struct {
	Date string `json:"date"`
	Totals
}

// Totals are a day's figures, or a range's.
type Totals struct {
	// Orders counts the orders placed for the day, cancelled ones aside;
	// PaidOrders those of them paid for.
	Orders     int `json:"orders"`
	PaidOrders int `json:"paidOrders"`
	// MealsCollected counts the meals students collected with their RFID
	// card.
	MealsCollected int `json:"mealsCollected"`
	// RevenuePaise is the total of the paid orders, in paise.
	RevenuePaise int64 `json:"revenuePaise"`
}

func (t *Totals) add(d Totals) {
	t.Orders += d.Orders
	t.PaidOrders += d.PaidOrders
	t.MealsCollected += d.MealsCollected
	t.RevenuePaise += d.RevenuePaise
}

// Store reads the figures.
type Store interface {
	// Daily returns the school's figures for every day from from to to,
	// both included, in order, a day without any with zeros. Errors:
	// Unavailable.
	Daily(ctx context.Context, schoolID string, from, to time.Time) ([]Day, error)
}

// Service serves summaries.
type Service struct {
	Store Store
	// Cache keeps summaries by school (the scope) and range, at the
	// version of the school's summaries.
	Cache freshness.Cache[Summary]
}

// Daily returns the school's summary from from to to (YYYY-MM-DD, both
// included) for a member of the school's staff. Errors: Invalid (ids,
// dates, a range backwards or longer than MaxDays), Forbidden (the caller
// is not staff of that school), Unavailable.
func (s *Service) Daily(ctx context.Context, who *auth.Claims, schoolID, from, to string) (*Summary, error) {
	if !ids.Valid(schoolID) {
		return nil, apperr.Field("schoolId", "schoolId is not a valid id")
	}
	schoolID = strings.ToLower(schoolID)
	if !(who.Role == auth.RoleSchoolAdmin || who.Role == auth.RoleKitchenStaff) || !strings.EqualFold(who.SchoolID, schoolID) {
		return nil, apperr.New(apperr.Forbidden, "only the school's staff may see its analytics")
	}
	f, err := date("from", from)
	if err != nil {
		return nil, err
	}
	t, err := date("to", to)
	if err != nil {
		return nil, err
	}
	switch days := int(t.Sub(f).Hours()/24) + 1; {
	case days < 1:
		return nil, apperr.Field("to", "to (%s) is before from (%s)", to, from)
	case days > MaxDays:
		return nil, apperr.Field("to", "the range covers %d days; at most %d", days, MaxDays)
	}
	sum, err := freshness.Read(ctx, s.Cache, schoolID, from+":"+to, func(ctx context.Context) (*Summary, error) {
		days, err := s.Store.Daily(ctx, schoolID, f, t)
		if err != nil {
			return nil, err
		}
		sum := &Summary{SchoolID: schoolID, From: from, To: to, Days: days}
		for _, d := range days {
			sum.Totals.add(d.Totals)
		}
		return sum, nil
	})
	if err != nil {
		return nil, fmt.Errorf("analytics of school %s from %s to %s: %w", schoolID, from, to, err)
	}
	return sum, nil
}

// date parses a required YYYY-MM-DD query parameter.
func date(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, apperr.Field(name, "%s is required: a date as YYYY-MM-DD", name)
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, apperr.Field(name, "%s must be a date as YYYY-MM-DD", name)
	}
	return d, nil
}
