package migrate

import "github.com/cubedhq/cubed/internal/schema"

// Operation kinds.
const (
	OpCreateTable  = "create_table"
	OpDropTable    = "drop_table"
	OpRenameTable  = "rename_table"
	OpAddColumn    = "add_column"
	OpAlterColumn  = "alter_column"
	OpDropColumn   = "drop_column"
	OpRenameColumn = "rename_column"
	OpAddIndex     = "add_index"
	OpDropIndex    = "drop_index"
)

// Op is one schema operation; which fields are set depends on Op.
type Op struct {
	Op     string         `json:"op"`
	Table  string         `json:"table"`
	Fields []schema.Field `json:"fields,omitempty"` // create_table
	Field  *schema.Field  `json:"field,omitempty"`  // add_column, alter_column (new definition)
	Column string         `json:"column,omitempty"` // drop_column, rename_column
	To     string         `json:"to,omitempty"`     // rename_table, rename_column
	Index  *schema.Index  `json:"index,omitempty"`  // add_index, drop_index
}

// File is one migration: its number, name and operations.
type File struct {
	Version    int    `json:"version"`
	Name       string `json:"name"`
	Operations []Op   `json:"operations"`
}
