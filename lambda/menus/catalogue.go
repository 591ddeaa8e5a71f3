package menus

import (
	"context"
	"fmt"
	"strings"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/ids"
)

// Catalogue is every dish a school offers, whether or not today's menu
// has it: what the school's daily menus are made of.
type Catalogue struct {
	SchoolID   string `json:"schoolId"`
	SchoolName string `json:"schoolName"`
	Items      []Item `json:"items"`
}

// CatalogueStore reads catalogues.
type CatalogueStore interface {
	// Catalogue returns the school's menu items by category and name.
	// Errors: NotFound (no such school), Unavailable.
	Catalogue(ctx context.Context, schoolID string) (*Catalogue, error)
}

// CatalogueCache caches catalogues by school.
type CatalogueCache interface {
	// Catalogue loads the cached catalogue into dst; false on a miss or a
	// failure.
	Catalogue(ctx context.Context, schoolID string, dst *Catalogue) bool
	// StoreCatalogue caches c.
	StoreCatalogue(ctx context.Context, c *Catalogue)
}

// Catalogues serves schools' menu item catalogues, cache-aside. Nothing
// in the platform writes menu items (the school's tools do, straight to
// the database), so a cached catalogue lives out the cache's TTL.
type Catalogues struct {
	Store CatalogueStore
	Cache CatalogueCache
}

// Get returns the school's catalogue. Errors: Invalid, NotFound,
// Unavailable.
func (s *Catalogues) Get(ctx context.Context, schoolID string) (*Catalogue, error) {
	if !ids.Valid(schoolID) {
		return nil, apperr.Field("schoolId", "schoolId is not a valid id")
	}
	schoolID = strings.ToLower(schoolID)
	var c Catalogue
	if s.Cache.Catalogue(ctx, schoolID, &c) {
		return &c, nil
	}
	got, err := s.Store.Catalogue(ctx, schoolID)
	if err != nil {
		return nil, fmt.Errorf("menu items of school %s: %w", schoolID, err)
	}
	s.Cache.StoreCatalogue(ctx, got)
	return got, nil
}
