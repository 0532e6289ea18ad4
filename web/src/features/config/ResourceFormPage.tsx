import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { describeError, isApiError } from '../../api/client';
import { useDeleteResource, useResourceDetail, useSaveResource, useSchema } from '../../api/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog/ConfirmDialog';
import { ErrorState } from '../../components/ErrorState/ErrorState';
import { LoadingState } from '../../components/LoadingState/LoadingState';
import { PageHeader } from '../../components/PageHeader/PageHeader';
import { SchemaForm } from '../../components/SchemaForm/SchemaForm';
import { useToast } from '../../components/Toaster/Toaster';
import { accountBase, plural } from '../../lib/accountPath';
import { humanize, labelize, noun } from '../../lib/format';
import { readonlyFields } from '../../lib/schemaForm';
import { canWrite, useAccount } from '../auth/AccountContext';
import { formatCell } from './columns';
import { useRelatedOptions } from './related';

/** Create (`…/new`) or edit (`…/<pk>`) one object, with a form from the schema. */
export function ResourceFormPage() {
  const { resource = '', pk } = useParams();
  const { account } = useAccount();
  const navigate = useNavigate();
  const toast = useToast();
  const schema = useSchema(resource);
  const detail = useResourceDetail(resource, account.token, pk);
  const related = useRelatedOptions(schema.data, account.token);
  const save = useSaveResource(resource, account.token);
  const remove = useDeleteResource(resource, account.token);
  const [confirmOpen, setConfirmOpen] = useState(false);

  const name = humanize(resource);
  const listPath = `${accountBase(account.token)}/config/${encodeURIComponent(resource)}`;
  const back = <Link to={listPath}>← {labelize(plural(name))}</Link>;

  if (schema.isPending || (pk !== undefined && detail.isPending)) return <LoadingState />;
  if (schema.isError) return <ErrorState error={schema.error} onRetry={() => void schema.refetch()} />;
  if (detail.isError) {
    return (
      <>
        <PageHeader title={`${name} ${pk ?? ''}`} back={back} />
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />
      </>
    );
  }

  const methods = pk === undefined ? schema.data.allowed_list_http_methods : schema.data.allowed_detail_http_methods;
  const writable = canWrite(account) && (pk === undefined ? methods.includes('post') : methods.includes('patch') || methods.includes('put'));
  const deletable = pk !== undefined && canWrite(account) && schema.data.allowed_detail_http_methods.includes('delete');
  const obj = detail.data ?? null;
  const saveError = save.error;
  const fieldErrors = isApiError(saveError) ? saveError.fields : undefined;
  const formError = saveError
    ? isApiError(saveError) && (saveError.code === 'validation_failed' || saveError.code === 'conflict')
      ? saveError.message
      : describeError(saveError)
    : null;

  return (
    <>
      <PageHeader
        title={pk === undefined ? `New ${noun(resource)}` : `${name} ${pk}`}
        back={back}
        description={!writable && pk !== undefined ? 'You can view this record; your role does not allow changes.' : undefined}
        actions={
          deletable ? (
            <button type="button" className="btn btn-danger" onClick={() => setConfirmOpen(true)}>
              Delete
            </button>
          ) : undefined
        }
      />
      {obj && (
        <dl className="record-meta">
          {readonlyFields(schema.data).map((f) => (
            <div key={f.name}>
              <dt>{f.label}</dt>
              <dd>{formatCell(f.field, obj[f.name])}</dd>
            </div>
          ))}
        </dl>
      )}
      <SchemaForm
        schema={schema.data}
        initial={obj}
        related={related}
        serverErrors={fieldErrors}
        formError={formError}
        submitting={save.isPending}
        readOnly={!writable}
        onCancel={() => void navigate(listPath)}
        onSubmit={(body) =>
          save.mutate(
            { ...(pk === undefined ? {} : { pk }), body },
            {
              onSuccess: () => {
                toast({ title: pk === undefined ? `${name} created.` : `${name} saved.` });
                void navigate(listPath);
              },
            },
          )
        }
      />
      {deletable && pk !== undefined && (
        <ConfirmDialog
          open={confirmOpen}
          onOpenChange={(o) => {
            setConfirmOpen(o);
            if (!o) remove.reset();
          }}
          title={`Delete ${noun(resource)} ${pk}?`}
          description="Deleted records stop being used from the next run. Some kinds of record can be reactivated later by an admin."
          confirmLabel="Delete"
          tone="danger"
          pending={remove.isPending}
          error={remove.error ? describeError(remove.error) : undefined}
          onConfirm={() =>
            remove.mutate(pk, {
              onSuccess: () => {
                setConfirmOpen(false);
                toast({ title: `${name} ${pk} deleted.` });
                void navigate(listPath);
              },
            })
          }
        />
      )}
    </>
  );
}
