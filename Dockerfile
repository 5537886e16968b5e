FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY kudus_capil kudus_capil
COPY registrations registrations
COPY schedules schedules
COPY blanks blanks
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --uid 1000 kudus && chown -R kudus /app
USER kudus
EXPOSE 8000
