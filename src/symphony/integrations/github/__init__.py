"""GitHub REST issues (github.com or GitHub Enterprise through GITHUB_API_URL)."""
