// SPDX-License-Identifier: GPL-2.0-only

// Package rules holds lockbot's checks and the entry point that runs
// them. Like golang.org/x/tools/go/analysis, an Analyzer reads what the
// shared pass (package flow) recorded of every function (observations,
// exits, summaries) through a Pass, and reports Findings with the chain
// that proves them; it computes no flow of its own. There is one file
// per rule. Analyze is the driver: it parses sources (package source),
// builds and analyses the program (flow), and runs the analyzers.
package rules
