package miniscript_test

import (
	"fmt"

	"airsign/psbt/miniscript"
)

// A 2-of-3 whose fourth key alone can spend after about a year: the paths
// an operator is shown, and the rule that makes it safe to use.
func ExampleNode_Paths() {
	n, err := miniscript.Parse("or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560)))", miniscript.Wsh)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sane:", n.Sane() == nil)
	paths, _ := n.Paths()
	for _, p := range paths {
		fmt.Println(p)
	}
	// Output:
	// sane: true
	// 2 of @0/**, @1/**, @2/**
	// @3/**, 52560 blocks (about 365 days) after the coin confirms
}

// Type errors name the fragment, the argument and the rule.
func ExampleParse_typeError() {
	_, err := miniscript.Parse("or_d(pk(A),v:pk(B))", miniscript.Wsh)
	fmt.Println(err)
	// Output:
	// miniscript: at offset 0: or_d: the second argument must be B (or_d's second branch leaves its result), but is V (type Vonfsmxk)
}
