"""reviews: pull/merge requests, reviews, review requests, comments, timeline events, deployments, ingest cursors

Revision ID: 0013_reviews
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_reviews"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forge_repos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forge', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('host', sa.Text(), nullable=False),
    sa.Column('last_ingested_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forge_repos')),
    sa.UniqueConstraint('forge', 'host', 'name', name=op.f('uq_forge_repos_forge_host_name'))
    )
    op.create_table('deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repo_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('sha', sa.String(length=64), nullable=True),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_deployments_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('repo_id', 'kind', 'external_id', name=op.f('uq_deployments_repo_id_kind_external_id'))
    )
    op.create_table('forge_cursors',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('repo_id', sa.Integer(), nullable=True),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('since', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_forge_cursors_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_forge_cursors'))
    )
    op.create_index('ix_forge_cursors_repo', 'forge_cursors', ['repo_id'], unique=False)
    op.create_table('pull_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repo_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_pull_comments_author_id_people')),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_pull_comments_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pull_comments')),
    sa.UniqueConstraint('repo_id', 'kind', 'external_id', name=op.f('uq_pull_comments_repo_id_kind_external_id'))
    )
    op.create_index('ix_pull_comments_pull', 'pull_comments', ['repo_id', 'number'], unique=False)
    op.create_table('pull_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repo_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.Text(), nullable=True),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_pull_events_actor_id_people')),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_pull_events_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_pull_events_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pull_events')),
    sa.UniqueConstraint('repo_id', 'external_id', name=op.f('uq_pull_events_repo_id_external_id'))
    )
    op.create_index('ix_pull_events_pull', 'pull_events', ['repo_id', 'number'], unique=False)
    op.create_table('pull_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repo_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('is_draft', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', sa.BigInteger(), nullable=True),
    sa.Column('merged_at', sa.BigInteger(), nullable=True),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('ready_at', sa.BigInteger(), nullable=True),
    sa.Column('first_commit_at', sa.BigInteger(), nullable=True),
    sa.Column('base_ref', sa.Text(), nullable=True),
    sa.Column('head_sha', sa.String(length=64), nullable=True),
    sa.Column('merge_sha', sa.String(length=64), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('checks', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_pull_requests_author_id_people')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['people.id'], name=op.f('fk_pull_requests_merged_by_id_people')),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_pull_requests_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pull_requests')),
    sa.UniqueConstraint('repo_id', 'number', name=op.f('uq_pull_requests_repo_id_number'))
    )
    op.create_index('ix_pull_requests_author', 'pull_requests', ['author_id'], unique=False)
    op.create_index('ix_pull_requests_state', 'pull_requests', ['state'], unique=False)
    op.create_table('pull_review_requests',
    sa.Column('repo_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reviewer', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.BigInteger(), nullable=True),
    sa.Column('is_pending', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_pull_review_requests_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], name=op.f('fk_pull_review_requests_reviewer_id_people')),
    sa.PrimaryKeyConstraint('repo_id', 'number', 'reviewer', name=op.f('pk_pull_review_requests'))
    )
    op.create_index('ix_pull_review_requests_reviewer', 'pull_review_requests', ['reviewer_id'], unique=False)
    op.create_table('pull_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repo_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.BigInteger(), nullable=True),
    sa.Column('commit_sha', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['repo_id'], ['forge_repos.id'], name=op.f('fk_pull_reviews_repo_id_forge_repos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], name=op.f('fk_pull_reviews_reviewer_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pull_reviews')),
    sa.UniqueConstraint('repo_id', 'external_id', name=op.f('uq_pull_reviews_repo_id_external_id'))
    )
    op.create_index('ix_pull_reviews_pull', 'pull_reviews', ['repo_id', 'number'], unique=False)
    op.create_index('ix_pull_reviews_reviewer', 'pull_reviews', ['reviewer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pull_reviews_reviewer', table_name='pull_reviews')
    op.drop_index('ix_pull_reviews_pull', table_name='pull_reviews')
    op.drop_table('pull_reviews')
    op.drop_index('ix_pull_review_requests_reviewer', table_name='pull_review_requests')
    op.drop_table('pull_review_requests')
    op.drop_index('ix_pull_requests_state', table_name='pull_requests')
    op.drop_index('ix_pull_requests_author', table_name='pull_requests')
    op.drop_table('pull_requests')
    op.drop_index('ix_pull_events_pull', table_name='pull_events')
    op.drop_table('pull_events')
    op.drop_index('ix_pull_comments_pull', table_name='pull_comments')
    op.drop_table('pull_comments')
    op.drop_index('ix_forge_cursors_repo', table_name='forge_cursors')
    op.drop_table('forge_cursors')
    op.drop_table('deployments')
    op.drop_table('forge_repos')
