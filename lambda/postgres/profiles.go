package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/profiles"
)

// Profiles adapts users and students to profiles.Store.
type Profiles struct{ Pool *pgxpool.Pool }

var _ profiles.Store = (*Profiles)(nil)

// Profile implements profiles.Store in one round trip: the user by
// primary key and their students (a parent's through students_parent_idx,
// a student's own through students_user_idx) as one JSON array.
func (s *Profiles) Profile(ctx context.Context, userID string) (*profiles.Profile, error) {
	defer observe(ctx, "profiles.get", time.Now())
	var p profiles.Profile
	err := s.Pool.QueryRow(ctx, `
		SELECT u.id::text, u.email, u.first_name, u.last_name, coalesce(u.phone, ''), u.role, coalesce(u.school_id::text, ''), (
			SELECT coalesce(json_agg(json_build_object(
			        'id', st.id, 'firstName', st.first_name, 'lastName', st.last_name, 'grade', st.grade,
			        'section', st.section, 'schoolId', st.school_id, 'schoolName', sc.name, 'active', st.is_active)
			        ORDER BY st.first_name, st.id), '[]')
			FROM students st JOIN schools sc ON sc.id = st.school_id
			WHERE st.parent_id = u.id OR st.user_id = u.id)
		FROM users u WHERE u.id = $1`, userID).
		Scan(&p.ID, &p.Email, &p.FirstName, &p.LastName, &p.Phone, &p.Role, &p.SchoolID, &p.Students)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "user %s not found", userID)
	}
	if err != nil {
		return nil, classify(err, "load profile")
	}
	return &p, nil
}

// Update implements profiles.Store in one statement: the user's row and
// their profile version, raised only when the user exists.
func (s *Profiles) Update(ctx context.Context, userID string, c profiles.Change) (int64, error) {
	defer observe(ctx, "profiles.update", time.Now())
	// A nil field keeps the column; phone "" clears it.
	var phone *string
	if c.Phone != nil && *c.Phone != "" {
		phone = c.Phone
	}
	var v int64
	err := s.Pool.QueryRow(ctx, `
		WITH u AS (
			UPDATE users SET first_name = coalesce($2, first_name), last_name = coalesce($3, last_name),
			       phone = CASE WHEN $4 THEN $5 ELSE phone END, updated_at = now()
			WHERE id = $1
			RETURNING id),
		v AS (
			INSERT INTO cache_versions (scope, id, version) SELECT $6, u.id, 1 FROM u
			ON CONFLICT (scope, id) DO UPDATE SET version = cache_versions.version + 1
			RETURNING version)
		SELECT version FROM v`, userID, c.FirstName, c.LastName, c.Phone != nil, phone, ProfileVersions).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "user %s not found", userID)
	}
	if err != nil {
		return 0, classify(err, "update profile")
	}
	return v, nil
}
