// SPDX-License-Identifier: GPL-2.0-only

// Package flow is lockbot's analysis engine: a path-sensitive data-flow
// analysis of the contexts a function holds (locks, preemption,
// interrupts, bottom halves and RCU read sides turned off), run bottom-up
// over the call graph so that each call is read through its callee's
// summary. Rules (package rules) read what it records; they compute no
// flow of their own.
//
// # What a function's analysis produces
//
// A Program is the set of analysed functions (FuncInfo). Each function's
// pass (flow) records a FuncResult: the observations it makes (Obs: an
// effect, such as a sleep, a lock taken, an allocation or a wait, at a
// statement, with the contexts held there), its exits (Exit: the state at
// each return and the class of the value returned), and, for an index,
// the calls it makes into functions it cannot see. From that comes
// its Summary: the effects a caller inherits (each with the chain of
// calls that leads to it, the contexts held inside and the conditions on
// the arguments under which it happens) and its outcomes (Outcome: what
// it leaves held or released, under which conditions on its arguments
// and return value). A FuncRecord is a summary as the index stores it;
// the linker turns records of other files into summaries on demand.
//
// # The states and their join
//
// A State is one path's view: the contexts held, in the order taken
// (Held), the conditions the path has learnt from its branches (Conds: a
// Cond is a condition and its value on the path, not what go/analysis
// calls a fact; sorted by key), the locks it released or failed to take (Released), the
// caller's contexts it released (CallerRel, CallerMaybe) and the gfp
// masks of its variables. States are copy-on-write.
//
// The join is a bounded disjunction, deliberately not a semilattice:
//   - States that hold the same contexts (the same lockKey) merge when
//     their conditions do not conflict, keeping only the ones both have
//     (State.merge): conditions only ever go, so a merge never invents a
//     path.
//   - Up to maxSameLocks states with the same contexts stay apart when
//     their conditions conflict, which is what lets "if (!locked) lock(); ...
//     if (!locked) unlock();" pair up; past that, a state joins one that
//     agrees on the values the function stored (flags, modes), else the
//     first.
//   - Up to maxStates configurations per block; past that, a state joins
//     the one with the most contexts in common, keeping only the contexts
//     both hold (State.joinHeld). Fewer held contexts can only hide
//     findings, never invent them, and the function's leak checks are
//     then off (FuncResult.Imprecise).
//
// The laws the join keeps: a merge never adds a condition or a held
// context; a merged state is a state some path reaches, less what the paths
// disagree on. The laws it breaks: it is neither commutative nor
// associative (which state is "first" depends on the order states arrive
// in, which depends on the order of blocks and of Tarjan's components),
// so the solver's order is part of the analysis: blocks run in the
// topological order of their strongly connected components, a loop's
// blocks from a worklist until nothing changes. Termination does not
// rest on a finite lattice either: a path budget (60 visits a block, plus
// 200) and a work budget (maxWork) end a function's analysis, which is
// then counted as not analysed, never guessed.
//
// A block outside any loop runs once, on its final input, and records as
// it goes; a loop iterates to its fixpoint without recording, then each of
// its blocks runs once more to record (record, frozen). The analysis
// stops when its context ends (Program.Analyze).
//
// # Files
//
// program.go (the program, the call graph, the bottom-up schedule),
// flow.go (one function's pass and its solver), prepare.go (what the
// function is read for first), join.go (block transfer and the join),
// branch.go (conditions), transfer.go (statements and calls), prim.go
// (the knowledge base's primitives), locks.go (lock sets and lock
// names), observe.go (recording effects), apply.go (a callee's summary
// at a call), effects.go (summaries), exits.go (what returns tell
// callers), ctx.go (contexts, states, conditions, steps), cond.go, gfp.go,
// live.go, nowait.go, ops.go, types.go (conditions, gfp masks,
// liveness, NOWAIT paths, calls through ops tables, lock classes from
// types), encode.go, link.go, external.go (index records and linking),
// dump.go (summaries as text).
package flow
