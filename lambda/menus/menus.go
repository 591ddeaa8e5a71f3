// Package menus serves a school's published menu for a date, cache-aside.
package menus

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/ids"
)

// Menu is a school's menu for one date.
type Menu struct {
	SchoolID   string `json:"schoolId"`
	SchoolName string `json:"schoolName"`
	Date       string `json:"date"`
	Items      []Item `json:"items"`
}

// Item is one dish on a menu.
type Item struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	PricePaise  int64    `json:"pricePaise"`
	Vegetarian  bool     `json:"vegetarian"`
	Allergens   []string `json:"allergens"`
	Available   bool     `json:"available"`
}

// Store reads menus.
type Store interface {
	// Daily returns the school's published menu for the date. Errors:
	// NotFound (no such school, or no published menu that day),
	// Unavailable.
	Daily(ctx context.Context, schoolID string, date time.Time) (*Menu, error)
}

// Cache caches menus by school and date.
type Cache interface {
	// Menu loads the cached menu into dst; false on a miss or a failure.
	Menu(ctx context.Context, schoolID, date string, dst *Menu) bool
	// StoreMenu caches m.
	StoreMenu(ctx context.Context, m *Menu)
}

// Service serves daily menus.
type Service struct {
	Store Store
	Cache Cache
}

// Daily returns the school's menu for date (YYYY-MM-DD). Errors: Invalid,
// NotFound, Unavailable.
func (s *Service) Daily(ctx context.Context, schoolID, date string) (*Menu, error) {
	if !ids.Valid(schoolID) {
		return nil, apperr.Field("schoolId", "schoolId is not a valid id")
	}
	schoolID = strings.ToLower(schoolID)
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return nil, apperr.Field("date", "date must be a date as YYYY-MM-DD")
	}
	var m Menu
	if s.Cache.Menu(ctx, schoolID, date, &m) {
		return &m, nil
	}
	got, err := s.Store.Daily(ctx, schoolID, d)
	if err != nil {
		return nil, fmt.Errorf("menu of school %s on %s: %w", schoolID, date, err)
	}
	s.Cache.StoreMenu(ctx, got)
	return got, nil
}
