// Package interop is airsign's conformance suite against independent
// implementations (make interop): npm's PSBT, descriptor, UR and BBQr
// libraries driven through node (testdata/interop, pinned by its lockfile)
// and Debian's Electrum from its command line, offline. It has only tests;
// docs/interop.md has the matrix and how each tool's user connects it.
package interop
