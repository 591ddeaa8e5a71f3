// Package layering holds the test that guards DESIGN.md's dependency
// rules over the whole module: which packages may link what. It has no
// code of its own.
package layering
