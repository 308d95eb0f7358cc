//go:build extra

package main

import (
	"fmt"

	"github.com/beorn7/perks/quantile"
)

func init() {
	extra = func(args []string) string {
		s := quantile.NewTargeted(map[float64]float64{0.5: 0.05, 0.99: 0.001})
		for _, a := range args {
			s.Insert(float64(len(a)))
		}
		return fmt.Sprintf("median length %.0f", s.Query(0.5))
	}
}
