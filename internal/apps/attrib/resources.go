package attrib

import (
	"fmt"
	"regexp"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/schema"
)

// configResources declares the client configuration resources: every
// field filterable (relations spannable) and orderable, as the original's
// resources were, plus validation hooks.
func configResources(models []*schema.Model) []*resource.Resource {
	byName := map[string]*schema.Model{}
	for _, m := range models {
		byName[m.Name] = m
	}
	mk := func(name, table string, related map[string]resource.Related, order []string) *resource.Resource {
		m := byName[table]
		return &resource.Resource{
			Name: name, Model: m,
			Filtering:    resource.AllFields(m),
			Ordering:     resource.AllOrdering(m),
			DefaultOrder: order,
			Related:      related,
		}
	}
	channel := mk("channel", "channel", nil, nil)
	pattern := mk("pattern", "pattern", map[string]resource.Related{"channel": {Resource: "channel"}}, nil)
	pattern.Validate = validatePattern
	rule := mk("segmenter-rule", "segmenter_rule", map[string]resource.Related{"target_pattern": {Resource: "pattern"}}, nil)
	cond := mk("segmenter-condition", "segmenter_condition", map[string]resource.Related{"rule": {Resource: "segmenter-rule"}}, nil)
	cond.Validate = validateCondition
	event := mk("event-definition", "event_definition", nil, nil)
	goal := mk("goal", "goal", nil, nil)
	goalEvent := mk("goal-event", "goal_event", map[string]resource.Related{"goal": {Resource: "goal"}, "event_definition": {Resource: "event-definition"}}, nil)
	product := mk("product", "product", nil, nil)
	market := mk("market", "market", nil, nil)
	campaign := mk("campaign", "campaign", map[string]resource.Related{"channel": {Resource: "channel"}}, nil)
	model := mk("attribution-model", "attribution_model", nil, nil)
	payment := mk("payment-referrer", "payment_referrer", nil, nil)
	return []*resource.Resource{channel, pattern, rule, cond, event, goal, goalEvent, product, market, campaign, model, payment}
}

// validatePattern rejects patterns that are not valid RE2.
func validatePattern(obj map[string]any) map[string][]string {
	p, _ := obj["pattern"].(string)
	if _, err := regexp.Compile(p); err != nil {
		return map[string][]string{"pattern": {fmt.Sprintf("Not a valid regular expression: %v.", err)}}
	}
	return nil
}

// validateCondition checks a regex condition's value compiles.
func validateCondition(obj map[string]any) map[string][]string {
	if op, _ := obj["operator"].(string); op == "regex" {
		v, _ := obj["value"].(string)
		if _, err := regexp.Compile(v); err != nil {
			return map[string][]string{"value": {fmt.Sprintf("Not a valid regular expression: %v.", err)}}
		}
	}
	return nil
}
