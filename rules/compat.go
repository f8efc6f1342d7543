package rules

import (
	"lockbot/flow"
	"lockbot/source"
)

// Names that moved to flow and source, kept here while their callers in
// review, forge, lore and cmd/lockbot move. To be removed.
type (
	Externals = flow.Externals
	RTScope   = flow.RTScope
	Stats     = flow.Stats
	Step      = flow.Step
	Source    = source.Source
	FileError = source.FileError
)

var (
	AddIncludes = source.AddIncludes
	IsCFile     = source.IsCFile
)
