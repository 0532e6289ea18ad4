// Package migrations embeds the generated migration files so the binary can
// migrate databases without the source tree.
package migrations

import "embed"

// FS holds control/ and client/, each with operation files and the SQL for
// every dialect.
//
//go:embed control client
var FS embed.FS
