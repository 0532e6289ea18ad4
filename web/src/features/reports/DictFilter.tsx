import { useReport, useResourceList } from '../../api/hooks';
import type { ReportSchema } from '../../api/types';
import { ValueFilter } from '../../components/ValueFilter/ValueFilter';
import { labelize } from '../../lib/format';
import { dictOptionsQuery, dictSource, reportOptions, resourceOptions } from './reportQuery';

export interface DictFilterProps {
  account: string;
  report: string;
  schema: ReportSchema;
  dimension: string;
  selected: string[];
  onChange: (ids: string[]) => void;
}

/**
 * A dict dimension's filter: its values by name, loaded from the related
 * resource or from the report itself (see dictSource), picked into
 * `f.<dimension>` by the page.
 */
export function DictFilter({ account, report, schema, dimension, selected, onChange }: DictFilterProps) {
  const source = dictSource(report, schema, dimension);
  const query = dictOptionsQuery(account, source, dimension);
  const list = useResourceList(source.kind === 'resource' ? source.resource : '', source.kind === 'resource' ? query : null);
  const rows = useReport(source.kind === 'report' ? source.report : undefined, source.kind === 'report' ? query : null);
  const label = labelize(schema.dimensions[dimension]?.verbose_name ?? dimension);
  const q = source.kind === 'resource' ? list : rows;
  const options = list.data ? resourceOptions(list.data) : rows.data ? reportOptions(rows.data, dimension) : [];
  return (
    <ValueFilter
      label={label}
      options={options}
      selected={selected}
      onChange={onChange}
      loading={q.isPending}
      error={q.isError ? `Could not load the ${label.toLowerCase()} values: ${q.error.message}` : undefined}
    />
  );
}
