package queues

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// RegisterSearchAttributes adds SkyFly's search attributes to a namespace of
// a real cluster (the dev server registers them at start). Attributes that
// already exist with the same type are left alone.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("queues: list search attributes of %s: %w", namespace, err)
	}
	want := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes() {
		v, err := enumspb.IndexedValueTypeFromString(typ)
		if err != nil {
			return nil, fmt.Errorf("queues: search attribute %s: %w", name, err)
		}
		if have, ok := existing.GetCustomAttributes()[name]; ok {
			if have != v {
				return nil, fmt.Errorf("queues: search attribute %s exists as %s, want %s", name, have, typ)
			}
			continue
		}
		want[name] = v
	}
	if len(want) == 0 {
		return nil, nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: want}); err != nil {
		return nil, fmt.Errorf("queues: add search attributes to %s: %w", namespace, err)
	}
	added := make([]string, 0, len(want))
	for n := range want {
		added = append(added, n)
	}
	return added, nil
}
