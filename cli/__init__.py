"""The ``saferplaces`` command line: everything a user may want to script, without Streamlit."""
