"""Names vulture cannot see used: the framework calls them, a template reads them, or a library does.

``.ci/run`` runs ``vulture feedback_app analysis tests/vulture_whitelist.py --min-confidence 60``
and fails on any finding. vulture reads this file only as source (nothing imports or runs it):
a bare name marks a function, class or variable of that name as used, ``_.name`` an attribute
or method. When vulture reports something new, either it is dead (delete it, or wire it up)
or it is an entry point: add it to the right section with where it is.

Alembic's hooks (``migrations/env.py``, each revision's ``upgrade``/``downgrade``) are outside
the folders vulture reads; ``feedback_app/migrate.py`` calls Alembic's API and needs nothing here.
WTForms ``validate_<field>`` methods are found by vulture's own Flask/WTForms knowledge.
"""

# ruff: noqa
# fmt: off
_ = object()

# ---------------------------------------------------------------- Flask views (routes), errors, context processors
home                   # feedback_app/__init__.py  @app.get("/")
_globals               # feedback_app/__init__.py  @app.context_processor
audit_log              # admin/audit_views.py  @bp.get("/audit")
import_answers         # admin/transfer_views.py  @bp.route("/rounds/<id>/import")
export_responses       # admin/transfer_views.py  @bp.get("/export")
user_active            # admin/user_views.py  @bp.post("/users/<id>/active")
user_password          # admin/user_views.py  @bp.route("/users/<id>/password")
dashboard              # admin/views.py  @bp.get("/")
new_round              # admin/views.py  @bp.route("/rounds/new")
round_detail           # admin/views.py  @bp.get("/rounds/<id>")
reopen                 # admin/views.py  @bp.post("/rounds/<id>/open")
new_links              # admin/views.py  @bp.post("/rounds/<id>/links")
links_export           # admin/views.py  @bp.get("/rounds/<id>/links.csv")
link_qr                # admin/views.py  @bp.get("/links/<id>/qr.png")
revoke                 # admin/views.py  @bp.post("/links/<id>/revoke"); api/admin_views.py  @admin_bp.post("/<id>/revoke")
questionnaire_version  # admin/views.py  @bp.get("/questionnaires/<id>")
burst_exclusion        # admin/views.py  @bp.post("/rounds/<id>/bursts/<id>")
openapi                # api/views.py  @bp.get("/openapi.json")
not_found              # api/views.py  @bp.route("/<path:_rest>")  (JSON 404 for unknown API paths)
login                  # auth/views.py  @bp.route("/login")
logout                 # auth/views.py  @bp.post("/logout")
change_password        # auth/views.py  @bp.route("/password")
_inject_user           # auth/views.py  @bp.app_context_processor
blind_sample           # coding/views.py  @bp.get("/blind")
agreement_page         # coding/views.py  @bp.route("/agreement")
response_answer        # coding/views.py  @bp.get("/responses/<id>/<question_key>")
rag_tracker            # evidence/views.py  @bp.get("/")
return_detail          # evidence/views.py  @bp.get("/returns/<id>")
import_indicators      # evidence/views.py  @bp.post("/indicators/import")
action_update          # evidence/views.py  @bp.post("/actions/<id>")
healthz                # health.py  @bp.get("/healthz")
compare                # insights/views.py  @bp.get("/<slug>/<question_key>")
make_theme             # insights/views.py  @bp.post(".../themes")
whats_new              # insights/views.py  @bp.get(".../whats-new/<id>.png")
theme_answer_list      # insights/views.py  @bp.get(".../themes/<theme>/answers")
edit_codebook          # insights/views.py  @bp.post("/codebook/<edit>")
save_draft_view        # respond/draft_views.py  @bp.post("/<token>/save")
resume_start           # respond/draft_views.py  @bp.route("/resume")
resume_draft           # respond/draft_views.py  @bp.get("/resume/<code>")
_respondent_language   # respond/language.py  @bp.app_context_processor
thanks                 # respond/views.py  @bp.get("/<token>/thanks")
_queue_count           # safeguarding/__init__.py  @bp.app_context_processor
queue                  # safeguarding/views.py  @bp.get("/")

# ---------------------------------------------------------------- click commands (added to the app by feedback_app/cli/__init__.py)
db_upgrade; db_downgrade; db_current; db_revision                 # cli/db.py
drafts_purge                                                      # cli/drafts.py
import_command; list_command                                      # cli/evidence.py (indicators), coding/cli.py (coding, model)
links_create; links_list; links_revoke                            # cli/links.py
questionnaires_sync; questionnaires_list; questionnaires_diff     # cli/questionnaires.py
responses_import; responses_export                                # cli/responses.py
rounds_create; rounds_list; rounds_close; rounds_open; rounds_schedule  # cli/rounds.py
tokens_create; tokens_list; tokens_revoke                         # cli/tokens.py
users_create; users_list; users_password                          # cli/users.py
train_command; use_command; build_default_command                 # coding/cli.py (model)
worker_command                                                    # cli/worker.py

# ---------------------------------------------------------------- question types, registered by @register in QUESTION_CLASSES
LongText; ShortText; MultipleChoice; Scale15; YesPartlyNo; Rag; Number; YesNoNotKnown  # question_types.py

# ---------------------------------------------------------------- SQLAlchemy: declarative base and event hooks
metadata               # db.py  Base.metadata with the naming convention (Alembic autogenerate reads it)
_on_connect            # db.py  @event.listens_for(engine, "connect")
_on_begin              # db.py  @event.listens_for(engine, "begin")
_fresh_connections     # tasks.py  @huey.on_startup(): a forked worker's fresh database connections
_.isolation_level      # db.py  set on the DBAPI connection in _on_connect

# ---------------------------------------------------------------- WTForms: class attributes the library reads
widget                 # admin/forms.py, respond/forms.py  field widgets
option_widget          # respond/forms.py
field_flags            # question_types.py  flags WTForms reads from a field class
Meta                   # insights/forms.py  class Meta: csrf = False
_._errors              # respond/paging.py  resets Form._errors after dropping hidden questions' errors

# ---------------------------------------------------------------- gunicorn, logging, Flask, openpyxl, scikit-learn
_.load_config          # server.py  gunicorn BaseApplication hook
_.msg                  # server.py  logging.LogRecord.msg, redacted in a filter
_.permanent            # auth/__init__.py  flask.session.permanent
_.previous_alarm_handler  # security.py  flask.g, restored when the request's time budget ends
_.api_role             # api/auth.py  set on each API view; tests/test_api.py checks every endpoint has one
_.data_type            # transfer.py  openpyxl cell type (text cells stay text)
_.freeze_panes         # transfer.py  openpyxl worksheet
_.n_features_in_       # analysis/learning.py  scikit-learn estimator attribute

# ---------------------------------------------------------------- models: columns and enum members stored in the database
ANNUAL; BI_ANNUAL; BIMONTHLY; QUARTERLY  # models.py  Cadence members (stored values, chosen in definition files)
DROPPED                # models.py  ActionStatus member
computed_at            # models.py  column
action_note; action_by; action_at  # models.py  SafeguardingFlag columns, set in safeguarding/views.py
entered_by             # models.py  column, set in evidence/data.py
updated_at             # models.py  column, set in evidence/data.py
saved_at               # models.py  Draft column

# ---------------------------------------------------------------- read only by templates (Jinja)
n_units; sentiment_kappa; sentiment_alpha; theme_alpha; used_themes  # analysis/agreement.py  coding/agreement.html
_.arrow; _.movement_text; barriers; next_steps; target_note  # analysis/evidence.py  evidence/_macros.html
by_link; unlinked      # admin/monitoring.py  admin/round.html
computed_by; labelled_by; model_coded; model_development; answers_here  # coding/coding.py  coding/_provenance.html, answer.html
questionnaire_title; good_practice; latest_label  # evidence/data.py  evidence/return.html, audits.html, pack.html
rag                    # evidence/pack.py  evidence/pack.html
src; alt; caption; theme_chart; sentiment_chart  # insights/report.py  report/report.html
count_from; count_to; neutral; interval; answers_in_theme  # insights/summary.py  insights/*.html, report/report.html
_.theme_chart; _.sentiment_chart; _.markup; emerging  # insights/summary.py  insights/compare_text.html, compare_closed.html
heading                # links.py  errors/_error.html and the closed-link pages
condition_json; opens_latest_page; _.layout  # respond/paging.py  respond/questions.html
html_lang              # translations.py  base.html, respond/_base.html

# ---------------------------------------------------------------- used only by the test suite, on purpose
readme_settings_table  # settings.py  tests/test_docs.py compares the README's settings table with it
_.predict_proba         # analysis/learning.py  SentimentModel's probabilities: tests/analysis/test_learning.py
