// Package miniscript parses, type-checks, compiles and satisfies miniscript
// (BIP-379) for P2WSH scripts and tapscript leaves.
//
// It is written from BIP-379 and checked against the vectors Bitcoin Core
// tests its own implementation with (testdata/miniscript-core.json).
//
// Keys are names: whatever text the expression holds where a key goes (a hex
// public key, a BIP-388 placeholder such as @0/**, or a full key expression
// with origin). The package never interprets them; a caller-provided KeyFunc
// turns a name into public key bytes when a script is compiled or satisfied,
// so the package does not depend on the descriptor package.
//
// Every input is treated as hostile: Parse caps the text's length, the
// nesting depth and the number of keys before building anything, and every
// error names the position and the rule that failed.
package miniscript
