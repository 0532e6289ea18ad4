package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// stamper reads SQLite's PRAGMA data_version on a connection of its own.
// The value a connection reports changes whenever any other connection —
// in this process or another — has committed since it last asked, and
// this connection never writes, so equal values mean unchanged data.
type stamper struct {
	mu   sync.Mutex
	db   *sql.DB   // one read-only connection, opened on first use
	conn *sql.Conn // pinned, so every read comes from the same connection
	open func() (*sql.DB, error)
}

// ChangeStamp returns a number that changes whenever anything has been
// committed to the database, by any connection or process, since it was
// last returned. Callers cache derived results with the stamp they read
// before computing them: a result computed after reading stamp s reflects
// at least every commit s reflects, so serving it while the stamp is
// still s is never stale. ok is false on PostgreSQL, where no equally
// cheap and exact signal exists; callers then do not cache.
func (d *DB) ChangeStamp(ctx context.Context) (stamp int64, ok bool, err error) {
	if d.stamp == nil {
		return 0, false, nil
	}
	s := d.stamp
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		if s.db == nil {
			if s.db, err = s.open(); err != nil {
				return 0, false, fmt.Errorf("change stamp: %w", err)
			}
			s.db.SetMaxOpenConns(1)
			s.db.SetMaxIdleConns(1)
			s.db.SetConnMaxLifetime(0)
			s.db.SetConnMaxIdleTime(0)
		}
		if s.conn, err = s.db.Conn(ctx); err != nil {
			return 0, false, fmt.Errorf("change stamp: %w", err)
		}
	}
	if err := s.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&stamp); err != nil {
		// A broken connection is replaced on the next call.
		_ = s.conn.Close()
		s.conn = nil
		return 0, false, fmt.Errorf("change stamp: %w", err)
	}
	return stamp, true, nil
}

func (s *stamper) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.conn != nil {
		err = s.conn.Close()
		s.conn = nil
	}
	if s.db != nil {
		if cerr := s.db.Close(); err == nil {
			err = cerr
		}
		s.db = nil
	}
	return err
}
