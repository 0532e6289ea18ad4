import type { ReactNode } from 'react';
import './PageHeader.css';

export interface PageHeaderProps {
  title: string;
  description?: ReactNode;
  /** Buttons or links on the right (below on narrow screens). */
  actions?: ReactNode;
  /** A back link or breadcrumb line above the title. */
  back?: ReactNode;
}

/** The page's one h1, its description and its main actions. */
export function PageHeader({ title, description, actions, back }: PageHeaderProps) {
  return (
    <header className="page-header">
      <div className="page-header-text">
        {back && <div className="page-header-back">{back}</div>}
        <h1>{title}</h1>
        {description && <p className="muted">{description}</p>}
      </div>
      {actions && <div className="page-header-actions">{actions}</div>}
    </header>
  );
}
