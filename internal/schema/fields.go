package schema

import "strconv"

// Small constructors keep declarations short and readable.

// ID is not needed: every model without NoID gets an id.

// TextF declares a text field of at most n characters (0 = unbounded).
func TextF(name string, n int) Field { return Field{Name: name, Type: Text, MaxLength: n} }

// IntF declares an integer field.
func IntF(name string) Field { return Field{Name: name, Type: Int} }

// BigIntF declares a 64-bit integer field.
func BigIntF(name string) Field { return Field{Name: name, Type: BigInt} }

// FloatF declares a float field.
func FloatF(name string) Field { return Field{Name: name, Type: Float} }

// DecimalF declares a decimal(p,s) field.
func DecimalF(name string, p, s int) Field {
	return Field{Name: name, Type: Decimal, Precision: p, Scale: s}
}

// BoolF declares a boolean field with a default.
func BoolF(name string, def bool) Field {
	return Field{Name: name, Type: Bool, HasDefault: true, Default: strconv.FormatBool(def)}
}

// DateF declares a date field.
func DateF(name string) Field { return Field{Name: name, Type: Date} }

// DateTimeF declares a datetime field.
func DateTimeF(name string) Field { return Field{Name: name, Type: DateTime} }

// JSONF declares a JSON field.
func JSONF(name string) Field { return Field{Name: name, Type: JSON} }

// FK declares a foreign key to table (column name usually "<x>_id").
func FK(name, table, onDelete string) Field {
	return Field{Name: name, Type: ForeignKey, References: table, OnDelete: onDelete}
}

// Created is the insert timestamp.
func Created() Field {
	return Field{Name: "created", Type: DateTime, AutoNowAdd: true, HasDefault: true, Default: "now"}
}

// Updated is the last-write timestamp.
func Updated() Field {
	return Field{Name: "updated", Type: DateTime, AutoNow: true, HasDefault: true, Default: "now"}
}

// Builder-style modifiers on a copy.

// Nullable marks f nullable.
func (f Field) Nullable() Field { f.Null = true; return f }

// Def sets a default (canonical text).
func (f Field) Def(v string) Field { f.HasDefault = true; f.Default = v; return f }

// DefInt sets an integer default.
func (f Field) DefInt(v int64) Field { return f.Def(strconv.FormatInt(v, 10)) }

// Uniq marks f unique.
func (f Field) Uniq() Field { f.Unique = true; return f }

// Indexed marks f indexed.
func (f Field) Indexed() Field { f.Index = true; return f }

// Doc sets the verbose name and help text.
func (f Field) Doc(verbose, help string) Field { f.Verbose = verbose; f.Help = help; return f }

// OneOf restricts values to choices.
func (f Field) OneOf(choices ...string) Field { f.Choices = choices; return f }

// RO marks f read-only through the API.
func (f Field) RO() Field { f.ReadOnly = true; return f }

// Secret hides f from every API response.
func (f Field) Secret() Field { f.Hidden = true; f.ReadOnly = true; return f }
